"""Errors whose messages a user can act on. Converted to exit codes / page errors at the edges."""


class AssistantError(Exception):
    """Base class: the message is shown to the user as is."""


class ConfigError(AssistantError):
    """A setting is wrong or missing; the message names the setting."""


class SkipFile(AssistantError):
    """A corpus file cannot be indexed; the message is the reason shown in `skipped`."""


class IndexBusy(AssistantError):
    """Another process holds the index lock."""


class CorpusMissing(AssistantError):
    """The corpus folder does not exist; the message names the setting."""


class IndexUnavailable(AssistantError):
    """The index cannot be read: its store (a Chroma server) is unreachable or its files are unreadable."""


class ModelUnavailable(AssistantError):
    """The embedding model or the LLM cannot be loaded or reached."""
