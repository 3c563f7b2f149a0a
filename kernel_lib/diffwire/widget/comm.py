"""The kernel side of the JupyterLab document editor for ``.diffwire`` files.

The document host (extension/src/lab/) opens a comm to the target ``diffwire.document``
with the file's text. Here that comm becomes the comm of an ordinary :class:`Editor`, the
same kernel-side model that ``dw.Editor(...)`` shows in a notebook: its synced state
(``doc``, ``catalog``, ``status``) and custom messages travel in the ipywidgets message
shape (``{"method": "update", "state": ...}``, ``{"method": "custom", "content": ...}``),
so validation, training and the live stream are one implementation for both hosts.

Both hosts speak one protocol: canvas edits arrive as the editor's ``write`` command (a
patch or the whole document, on a base revision), every other command goes through
:meth:`Editor.handle`, and this module only uses the editor's public methods. What is
specific to the document host is small and lives here: the document arrives as file text
(the file model in the browser is the source of truth, so it may hold unsaved edits),
``reload`` adopts the text after a revert or an external change on disk
(:meth:`Editor.adopt`), and ``settings`` sets the next run's options. Export is the
editor's own command: the kernel writes NAME.py, NAME_train.py and NAME.diffwire.json
beside the document, and the browser writes NAME.py again from the answer (the same text)
and opens it.

The host registers the target by running ``import diffwire.widget.comm as c; c.register()``
silently in the kernel (idempotent, and again after a restart).
"""

from __future__ import annotations

import inspect
import pathlib
import threading
import weakref
from typing import Any

from ..document import loads
from ..errors import GraphError
from ..train.api import train as start_run
from .editor import Editor
from .workbench import reattach

TARGET = "diffwire.document"
PROTOCOL = 1

#: open document sessions by comm id (for tests and introspection)
SESSIONS: weakref.WeakValueDictionary[str, Editor] = weakref.WeakValueDictionary()
_registered: set[int] = set()


def register(kernel: Any = None) -> bool:
    """Register the ``diffwire.document`` comm target in the running kernel (idempotent).

    **Returns:** True when the target is registered, False outside a kernel.
    """
    if kernel is None:
        try:
            from ipykernel.kernelbase import Kernel
        except ImportError:
            return False
        if not Kernel.initialized():
            return False
        kernel = Kernel.instance()
    if id(kernel) in _registered:
        return True
    kernel.comm_manager.register_target(TARGET, _open)
    _registered.add(id(kernel))
    return True


_warming: list[threading.Thread] = []


def _warm_up() -> None:
    """A document's training checks need jsonschema, 2-4 s of import on a 2-core machine:
    the first tab starts it in a thread once its hello is sent (not before, where it would
    compete with opening the tab), so it is ready by the time the tab asks."""
    if not _warming:
        from ..train import section_schema

        _warming.append(threading.Thread(target=section_schema.warm_up,
                                         name="diffwire-warm-up", daemon=True))
        _warming[0].start()


def _open(comm: Any, open_msg: dict) -> None:
    data = open_msg.get("content", {}).get("data", {}) or {}
    DocumentSession(comm, text=data.get("text"), path=data.get("path"),
                    settings=data.get("settings"))


class DocumentSession:
    """One open ``.diffwire`` tab: an :class:`Editor` on the tab's comm, plus the few
    messages only a document host sends (``reload``, ``settings``)."""

    def __init__(self, comm: Any, text: str | None, path: str | None,
                 settings: dict | None = None):
        self.comm = comm
        self.path = path
        self.interval = 0.2  # seconds between metric messages (the plot refresh rate)
        graph, problem = _parse(text)
        self.editor = Editor(graph, comm=comm)
        self.editor.path = None  # the browser writes the file; the kernel never does
        if path:  # the kernel runs in the document's folder: runs and data files are there
            self.editor.doc_file = pathlib.Path.cwd() / pathlib.PurePosixPath(path).name
        self.apply_settings(settings or {})
        comm.on_msg(self._on_msg)  # after Editor took the comm: route, then delegate
        comm.on_close(self._on_close)
        SESSIONS[comm.comm_id] = self.editor
        self._send({"method": "hello", "protocol": PROTOCOL, "state": self.editor.get_state(
            ["doc", "doc_rev", "catalog", "status"])})
        _warm_up()
        if problem is not None:
            self.editor.send(problem)
        reattach(self.editor)  # a run of this document still going: this view takes it
        self.editor.validate()

    def _send(self, data: dict) -> None:
        self.comm.send(data=data)

    def _on_msg(self, msg: dict) -> None:
        data = msg.get("content", {}).get("data", {}) or {}
        content = data.get("content") if data.get("method") == "custom" else None
        cmd = content.get("cmd") if isinstance(content, dict) else None
        if cmd in HOST_COMMANDS:
            HOST_COMMANDS[cmd](self, content)
        elif content is not None:
            self.editor.handle(content)
        else:  # the front end writes the document with `write`, never as a trait update
            self.editor.send({"event": "error", "message": (
                f"the document host sent a {data.get('method')!r} message, which this kernel's "
                "diffwire does not take: reload the page after updating the extension")})

    def apply_settings(self, settings: dict) -> None:
        """The extension's settings (schema/plugin.json) as options of the next run."""
        hz = settings.get("plotRefreshHz")
        if isinstance(hz, (int, float)) and hz > 0:
            self.interval = 1.0 / float(hz)
        self.editor.control.interval = self.interval  # runs started here stream at this rate
        wanted = {"stream_hz": hz if isinstance(hz, (int, float)) and hz > 0 else None,
                  "device": settings.get("device") or None,
                  "checkpoint_every": settings.get("checkpointEvery") or None,
                  "threads": settings.get("threads") or None}
        accepted = _train_parameters()
        opts = self.editor.control.options
        for name, value in wanted.items():
            if name not in accepted:
                continue
            if value is None:
                opts.pop(name, None)
            else:
                opts[name] = value

    def _reload(self, text: str | None) -> None:
        graph, problem = _parse(text)
        if problem is not None:
            self.editor.send(problem)
            return
        # The browser already shows this text: take it without pushing it back (a pushed,
        # normalised copy would mark a freshly reverted document dirty again).
        self.editor.adopt(graph)

    def _on_close(self, _msg: Any = None) -> None:
        control = self.editor.control
        try:
            if control.is_live():
                control.stop()
        finally:
            self.editor.comm = None  # the comm is gone; Editor.close() would close it again


def _train_parameters() -> set[str]:
    """Keyword arguments that ``dw.train`` takes."""
    return set(inspect.signature(start_run).parameters)


def _parse(text: str | None):
    """The graph in `text`, or an empty graph and an error event saying why."""
    from ..document import Graph

    if not text or not text.strip():
        return Graph(), None
    try:
        return loads(text), None
    except GraphError as e:
        return Graph(), {"event": "error", "message": f"the file could not be read: {e}",
                         "error": e.to_dict()}
    except ValueError as e:  # json.JSONDecodeError
        return Graph(), {"event": "error", "message": f"the file is not valid JSON: {e}"}


#: Commands only the JupyterLab document host has, on top of the editor's own
#: (:data:`diffwire.widget.editor.COMMANDS`): the file changed on disk, the extension's
#: settings. (Export is the editor's own: with no path of its own, the editor answers with
#: the source, and the browser writes it beside the file.)
HOST_COMMANDS = {
    "reload": lambda s, c: s._reload(c.get("text")),
    "settings": lambda s, c: s.apply_settings(c.get("settings") or {}),
}
