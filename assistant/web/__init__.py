"""The chat page (Gradio): ask, see the cited paragraph in its document, manage the library.

- `render.py`: HTML of the conversation, sources, library and sync reports (pure, everything escaped)
- `views.py`: HTML of the document viewer: a cited paragraph in context, the whole document, a scanned page (pure)
- `page.py`: `ChatPage`, the Gradio page over one App; its event handlers are methods (the library's in
  `library_tab.py`); `layout.py`: its components, which method each event calls, the assets it loads
- `assets/`: the page's CSS and JavaScript
- `server.py`: `assistant serve`, launch (auth, queue), Ctrl+C

Importing this package does not import gradio: `serve` and `launch` import the page when they run.
"""

from .server import auth_pair, exit_when_stuck, launch, serve

__all__ = ["auth_pair", "exit_when_stuck", "launch", "serve"]
