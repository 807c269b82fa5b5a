"""Document Q&A over cooperation texts, every answer cited to its paragraph."""

__version__ = "0.1.0"
