"""Launch the chat page: `python ui.py` (same as `assistant serve`)."""

from assistant.settings import Settings
from assistant.web.server import serve

if __name__ == "__main__":
    serve(Settings())
