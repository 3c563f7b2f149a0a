"""`dw.Editor`: the graph editor as an anywidget.

State synced with the browser (traitlets): ``doc`` (the whole document, both ways),
``catalog`` (the block registry as JSON), ``status`` (the training run). Commands arrive
as custom messages ``{"cmd": ...}``; events go back as ``{"event": ...}``. The protocol is
written down in README.md beside this file; extension/src/types.ts mirrors it.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import threading
import weakref
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from ..blocks import registry
from ..document import Graph, load
from ..errors import GraphError
from ..train.store import runs_folder
from . import bundle, testdelay
from .ablation import COMMANDS as ABLATION
from .analysis import ShapeCache, analyze
from .grouping import COMMANDS as GROUPING
from .live import NO_RUN, RunControl
from .patch import PatchError, apply_patch
from .workbench import COMMANDS as WORKBENCH
from .workbench import data_root, export_with_weights
from .workbench import start as start_run

STATIC = pathlib.Path(__file__).parent / "static"

_MISSING = """
export default { render({ el }) {
  el.innerHTML = '<pre style="color:#c00">diffwire: the editor bundle is not built. Run `make js` ' +
    '(or `npm ci && npm run build` in extension/) and re-run this cell.</pre>';
} };
"""


class Editor(anywidget.AnyWidget):
    """The graph editor in a notebook output: palette, canvas, inspector, live plots.

    ```python
    ed = dw.Editor(g)            # or dw.Editor("model.diffwire")
    ed                           # shows the canvas
    ed.graph                     # a live Graph: always what the canvas shows
    ed.graph.add("MLP"); ed.refresh()   # Python-side edits, pushed to the canvas
    run = ed.train()             # what the Train button does; ed.control maps the buttons
    ```

    **Arguments:**

    - `graph`: a :class:`~diffwire.Graph`, a path to a ``.diffwire`` file, or nothing for an
      empty graph.
    - `height`: the widget's CSS height.
    - `train_options`: keyword arguments for ``dw.train`` when Train is pressed.
    - `out`: the runs folder its runs are kept in (default: ``NAME.runs`` beside the file
      the editor was opened from; none for a graph without a file).
    - `embed_module`: store the whole editor module (0.5 MB) in the widget state, for a
      notebook read where neither the diffwire extension nor a kernel is at hand (an HTML
      export). By default the notebook stores a few KB that load it (see bundle.py).
    """

    _esm = bundle.bootstrap() or _MISSING
    _css = (STATIC / "editor.css") if (STATIC / "editor.css").exists() else ""

    # echo_update off: the browser wrote it, so echoing a 200-node document back is waste
    doc = traitlets.Dict().tag(sync=True, echo_update=False)
    # bumped by every push from the kernel: a canvas write names the revision it was made on,
    # and one made on an older document than the kernel's is answered with `resync`
    doc_rev = traitlets.Int(0).tag(sync=True)
    catalog = traitlets.Dict().tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    height = traitlets.Unicode("600px").tag(sync=True)

    def __init__(self, graph: Graph | str | os.PathLike | None = None, *, height: str = "600px",
                 train_options: dict | None = None, out: str | os.PathLike | None = None,
                 embed_module: bool = False, **kwargs: Any):
        self.path: pathlib.Path | None = None
        self.out = pathlib.Path(out) if out is not None else None
        self.doc_file: pathlib.Path | None = None  # the document as the kernel sees it (runs, data)
        if graph is None:
            graph = Graph()
        elif isinstance(graph, (str, os.PathLike)):
            self.path = self.doc_file = pathlib.Path(graph)
            graph = load(self.path)
        if not isinstance(graph, Graph):
            raise GraphError("Editor takes a Graph or a path to a .diffwire file",
                             expected="Graph or path", found=type(graph).__name__)
        self._graph = graph
        self._lock = threading.RLock()
        self.last_analysis: dict = {}
        self._shapes = ShapeCache()
        self.control = RunControl(self)
        if embed_module and (STATIC / "editor.js").exists():
            kwargs["_esm"] = (STATIC / "editor.js").read_text()
        super().__init__(doc=graph.to_dict(), catalog=registry.catalog(), height=height,
                         status=dict(NO_RUN, available=self.control.available), **kwargs)
        self.control.options = dict(train_options or {})
        self.observe(self._on_doc, names="doc")
        self.on_msg(self._on_msg)
        registry.on_change(_RegistryListener(self))

    # -- the graph, both ways -------------------------------------------------------

    @property
    def graph(self) -> Graph:
        """The graph on the canvas. Edit it from Python, then call :meth:`refresh`."""
        return self._graph

    @graph.setter
    def graph(self, graph: Graph) -> None:
        self._graph = graph
        self.refresh()

    def refresh(self) -> None:
        """Push the Python-side graph to the canvas (after editing ``ed.graph``)."""
        with self._lock:
            self._push(self._graph.to_dict())
        self.control.graph_edited()
        self.validate()

    def save(self, path: str | os.PathLike | None = None) -> pathlib.Path:
        """Save the document (to `path`, or the file it was opened from)."""
        target = pathlib.Path(path) if path is not None else self.path
        if target is None:
            raise GraphError("no path to save to", hint="pass a path: ed.save('model.diffwire')")
        self.path = target
        return self._graph.save(target)

    def validate(self) -> dict:
        """Check the graph now and send the result to the canvas; returns the analysis event."""
        event = analyze(self._graph, self._shapes)
        self.last_analysis = event
        self.send(event)
        return event

    def train(self, **options: Any):
        """Start training, as the Train button does; returns the ``dw.Run``.

        `options` (``data``, ``loss``, ``optimizer``, ``steps``...) update `train_options`.
        The canvas's plots and controls follow the run.
        """
        self.control.options.update(options)
        start_run(self)
        return self.control.run

    @property
    def runs_folder(self) -> pathlib.Path | None:
        """Where the editor's runs are kept: `out`, else ``NAME.runs`` beside its file."""
        if self.out is not None:
            return self.out
        f = self.doc_file or self.path
        return runs_folder(f) if f is not None else None

    @property
    def current_run(self):
        """The last ``dw.Run`` started from this editor, or None."""
        return self.control.run

    def _push(self, doc: dict) -> None:
        """Send `doc` to the canvas as a new revision, in one message with `doc_rev`. Sent
        even when equal to the trait's value: the canvas may hold another version. (Stored
        without a traitlets notification: observers of `doc` do not see pushes.)"""
        with self._lock:
            self._trait_values["doc"] = doc
            self._trait_values["doc_rev"] = self.doc_rev + 1
            self.send_state(["doc", "doc_rev"])

    def adopt(self, graph: Graph) -> None:
        """Take `graph` as the document that the front end already shows (the JupyterLab
        host's file was reverted or changed on disk): a new revision, announced to the
        front end without the document itself (a pushed, normalised copy would mark a
        freshly reverted file dirty again). Writes made on older revisions are dropped."""
        with self._lock:
            self._trait_values["doc"] = graph.to_dict()
            self._trait_values["doc_rev"] = self.doc_rev + 1
            self.send_state(["doc_rev"])
            self._graph = graph
        self.control.graph_edited()
        self.validate()

    def _on_doc(self, change: dict) -> None:
        """The whole document set as the `doc` trait (from Python, or a front end that
        syncs the trait): update `graph` in place, then validate. A new revision: canvas
        writes made on the document before it are dropped."""
        with self._lock:
            self.doc_rev += 1
            self._edited(change["new"])

    def _on_write(self, content: dict) -> None:
        """A committed edit from the canvas, as a custom message: a patch or the whole
        document (see patch.py), made on revision `base`. The `doc` trait is brought up to
        date without a sync: the canvas already shows this document.

        A write made on an older revision is dropped: the kernel pushed since, that push
        reaches the canvas after the write left it, and the canvas takes the pushed
        document, so both sides end on it (the canvas edit is lost, never half-merged). A
        patch that does not apply to the current revision gets `resync`, and the view that
        sent it sends its document whole."""
        with self._lock:  # a push from another thread cannot land between check and store
            base, client = content.get("base"), content.get("client")
            if base is not None and base != self.doc_rev:
                return
            if "patch" in content:
                try:
                    doc = apply_patch(self.doc, content["patch"])
                except PatchError:
                    self.send({"event": "resync", "client": client})
                    return
            else:
                doc = content.get("doc")
            self._edited(doc, store=True)

    def _edited(self, doc, store: bool = False) -> None:
        with self._lock:
            try:
                new = _from_canvas(doc)
            except GraphError as e:
                self.send({"event": "error", "message": str(e), "error": e.to_dict()})
                if store:  # the canvas holds what the kernel refused: show it the kernel's
                    self._push(self.doc)
                return
            if store:  # straight into the trait's storage: a notification would sync it back
                self._trait_values["doc"] = doc
            filled = _fill_bodies(new)
            g = self._graph
            g.nodes, g.edges, g.training, g.meta = new.nodes, new.edges, new.training, new.meta
            if filled:
                self._push(g.to_dict())
        self.control.graph_edited()
        self.validate()

    def _on_registry(self, name: str) -> None:
        self.catalog = registry.catalog()
        self.validate()

    # -- commands ------------------------------------------------------------------------

    def _on_msg(self, _widget: Any, content: Any, buffers: list) -> None:
        self.handle(content)

    def handle(self, content: Any) -> None:
        """Run one command from a front end (:data:`COMMANDS`); both hosts call this. A bad
        or failing command answers with an ``error`` event rather than raising."""
        if not isinstance(content, dict) or "cmd" not in content:
            return
        cmd = content["cmd"]
        try:
            handler = COMMANDS.get(cmd) if isinstance(cmd, str) else None
            if handler is None:
                self.send({"event": "error", "message": f"unknown command {cmd!r}"})
            else:
                testdelay.wait(cmd)  # nothing unless a browser test asks (testdelay.py)
                handler(self, content)
        except GraphError as e:
            self.send({"event": "error", "message": str(e), "error": e.to_dict()})
        except Exception as e:  # noqa: BLE001 - report to the canvas instead of a lost traceback
            self.send({"event": "error", "message": f"{cmd}: {type(e).__name__}: {e}"})

    def _export(self, content: dict) -> None:
        """Export to plain PyTorch (workbench.py): NAME.py, NAME_train.py and
        NAME.diffwire.json beside the file the editor opened, else the source as text; with
        the chosen run's weights (or the newest run's) as NAME.pt."""
        source, weights, written = export_with_weights(self, content.get("run"))
        folder = data_root(self)
        self.send({"event": "export", "source": source,
                   "path": str(folder / written[0]) if written else None,
                   "files": written, "weights": weights})

    def __repr__(self) -> str:
        return f"<Editor {self._graph!r}>"


def _control(name: str) -> Callable[[Editor, dict], None]:
    return lambda ed, _content: getattr(ed.control, name)()


def _answer_asset(ed: Editor, content: dict) -> None:
    bundle.answer(lambda ev, buffers: ed.send(ev, buffers), content["cmd"], content.get("name"))


#: Every command an editor takes, from either host: name -> handler(editor, content). The
#: front end's `CommandName` (extension/src/types.ts) lists the same names; `module` comes
#: from the widget's bootstrap (bootstrap.js). tests/test_editor_protocol.py checks both.
COMMANDS: dict[str, Callable[[Editor, dict], None]] = {
    "write": lambda ed, c: ed._on_write(c),
    "validate": lambda ed, _c: ed.validate(),
    "export": lambda ed, c: ed._export(c),
    "watch": lambda ed, c: ed.control.watch(c.get("node")),
    "probe": lambda ed, c: ed.control.probe(c),
    "train": lambda ed, _c: start_run(ed),  # the workbench's checks and runs folder
    **{name: _control(name) for name in ("pause", "resume", "stop", "rebuild")},
    "set": lambda ed, c: ed.control.set(str(c.get("name")), c.get("value")),
    "history": lambda ed, c: ed.control.history(c),
    "module": _answer_asset,
    "asset": _answer_asset,
    **WORKBENCH,  # the Training panel and the runs table (workbench.py)
    **ABLATION,  # the Ablation panel (ablation.py)
    **GROUPING,  # group and ungroup the selection (grouping.py)
}


class _RegistryListener:
    """Refreshes an editor's palette when the registry changes, without keeping the editor
    alive; it removes itself once the editor is gone."""

    def __init__(self, editor: Editor):
        self.ref = weakref.ref(editor)

    def __call__(self, name: str) -> None:
        editor = self.ref()
        if editor is None:
            with contextlib.suppress(ValueError):
                registry._listeners.remove(self)
            return
        editor._on_registry(name)


def _from_canvas(doc: dict) -> Graph:
    """A graph from the canvas's document. The editor only writes documents it read, so
    the JSON Schema pass (30 ms at 200 nodes) is skipped; structure is still checked."""
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        raise GraphError("the canvas sent a malformed document", expected="a diffwire document",
                         found=type(doc).__name__)
    try:
        g = Graph.from_dict(doc, top=False)
    except (KeyError, TypeError, ValueError) as e:
        raise GraphError(f"the canvas sent a malformed document: {e}") from None
    g.training = dict(doc.get("training") or {})
    g.meta = dict(doc.get("meta") or {})
    return g


def _fill_bodies(graph: Graph) -> bool:
    """Give body blocks dropped from the palette (empty bodies) their starter body graph."""
    filled = False
    for _path, node in list(graph.walk()):
        try:
            cls = node.block
        except GraphError:
            continue
        for name in cls.bodies:
            body = node.body.get(name)
            if body is None or not body.nodes:
                try:
                    node.body[name] = cls.make_body(node.params, name)
                    filled = True
                except Exception:  # noqa: BLE001 - bad params: validation reports them
                    pass
    return filled
