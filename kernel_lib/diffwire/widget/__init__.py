"""The notebook editor: `dw.Editor(graph)` (an anywidget) and its training callback."""

from .editor import Editor
from .live import LiveCallback, RunControl

__all__ = ["Editor", "LiveCallback", "RunControl"]
