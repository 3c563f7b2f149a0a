"""The editor's workbench commands: the Training panel's catalogs, data files, kernel
variables and checks; the runs table (list, series to overlay, diff, rename, pin, note,
delete with undo); fork; re-attaching a live run to a new view.

Each command is a function ``(editor, content)`` in :data:`COMMANDS`; answers go back as
events (see README.md, "Workbench"). Runs are read from the run store on disk
(``NAME.runs/`` beside the document, or the ``out`` option), so a reopened document or a
reloaded page finds them.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any

from ..document import atomic_write_text
from ..errors import GraphError
from ..export import files as export_files
from ..export.writer import LOADER
from ..train import runs as run_list
from ..train.callbacks import Callback
from ..train.catalog import training_catalog
from ..train.datafolder import data_files
from ..train.rundiff import diff_runs
from ..train.runs import load_run
from ..train.store import RUN_FILE
from ..train.validate import validate_training

if TYPE_CHECKING:
    from .editor import Editor

LABEL_FILE = "label.json"  # name, pinned, note: the person's, beside the run's own record
TRASH = ".trash"  # deleted runs wait here until the view goes or another delete comes
SERIES_KEYS = ("loss", "val_loss", "lr", "wall")  # wall: seconds since the start (x by time)
SERIES_LIMIT = 1024

#: live runs by runs folder: a new view of the same document takes over their stream
LIVE: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
_live_lock = threading.Lock()


# -- where things are --------------------------------------------------------------------

def document_file(editor: Editor) -> pathlib.Path | None:
    """The ``.diffwire`` file the editor shows, as this kernel sees it (or None)."""
    f = editor.doc_file or editor.path
    return pathlib.Path(f) if f is not None else None


def data_root(editor: Editor) -> pathlib.Path:
    f = document_file(editor)
    return f.parent if f is not None else pathlib.Path.cwd()


def runs_root(editor: Editor) -> pathlib.Path | None:
    """Where the editor's runs are kept: the ``out`` train option, else the editor's own
    (``Editor.runs_folder``: its `out`, else ``NAME.runs`` beside its file)."""
    out = editor.control.options.get("out")
    return pathlib.Path(out) if out else editor.runs_folder


def _run_dir(editor: Editor, run_id: Any) -> pathlib.Path:
    root = runs_root(editor)
    if root is None or not isinstance(run_id, str) or not run_id or "/" in run_id \
            or "\\" in run_id or run_id.startswith("."):
        raise GraphError("no such run", port="runs", found=repr(run_id)[:80])
    d = root / run_id
    if not (d / RUN_FILE).is_file():
        raise GraphError(f"no run '{run_id}' in {root.name}", port="runs", found=run_id)
    return d


# -- the Training panel ---------------------------------------------------------------------

#: train options that stand in for parts of the training section (what the panel names)
GIVEN_SETTINGS = ("loss", "optimizer", "schedule", "steps", "batch_size", "val_split", "seed",
                  "eval_every", "checkpoint_every", "ensemble")


def given_options(editor: Editor) -> dict:
    """What ``dw.Editor(train_options=...)`` gives in Python, which Train uses over the
    document's section: the data names it binds and the settings it sets."""
    opts = editor.control.options
    data = opts.get("data")
    return {"data": sorted(str(k) for k in data) if isinstance(data, dict) else [],
            "settings": [k for k in GIVEN_SETTINGS if opts.get(k) is not None]}


def cmd_training_catalog(editor: Editor, content: dict) -> None:
    editor.send({"event": "training_catalog", **training_catalog(), "given": given_options(editor)})


def cmd_data_files(editor: Editor, content: dict) -> None:
    root = data_root(editor)
    editor.send({"event": "data_files", "folder": root.name, "files": data_files(root)})


def kernel_variables() -> list[dict]:
    """The notebook's tensors and arrays (``__main__``), with shapes and dtypes."""
    main = sys.modules.get("__main__")
    out = []
    for name, value in sorted(vars(main).items()) if main is not None else ():
        if name.startswith("_"):
            continue
        shape = getattr(value, "shape", None)
        dtype = getattr(value, "dtype", None)
        kind = type(value).__module__.split(".")[0]
        if shape is None or dtype is None or kind not in ("torch", "numpy"):
            continue
        out.append({"name": name, "shape": [int(s) for s in shape], "dtype": str(dtype),
                    "kind": "tensor" if kind == "torch" else "array"})
    return out


def cmd_kernel_vars(editor: Editor, content: dict) -> None:
    editor.send({"event": "kernel_vars", "vars": kernel_variables()})


def training_errors(editor: Editor) -> list[dict]:
    """The training section's problems, each with its place (``training.data.x.path``)."""
    graph = editor.graph
    if not graph.training:
        return []
    errs = validate_training(graph, root=data_root(editor))
    return [e.to_dict() for e in errs]


def training_form(editor: Editor) -> dict:
    """What the Training panel's rows are about: the graph's input and output names and
    its Optimizer nodes (ids and kinds), as the kernel reads the graph now."""
    g = editor.graph
    optim = [{"id": n.id, "kind": n.params.get("kind"), "label": n.label}
             for n in g.nodes.values() if n.type == "Optimizer"]
    return {"inputs": [n.params["name"] for n in g.inputs()],
            "outputs": [n.params["name"] for n in g.outputs()], "optimizers": optim}


def cmd_check_training(editor: Editor, content: dict) -> None:
    """The section's problems, plus the names its rows are about."""
    editor.send({"event": "training_errors", "errors": training_errors(editor),
                 **training_form(editor)})


def needs_training_section(editor: Editor) -> bool:
    """Train was pressed on a document with no training section and no options that
    would stand in for one: the panel opens instead of a kernel error."""
    opts = editor.control.options
    return not editor.graph.training and not opts.get("data") and "fork" not in opts


# -- runs ---------------------------------------------------------------------------------

def _label(d: pathlib.Path) -> dict:
    try:
        label = json.loads((d / LABEL_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return label if isinstance(label, dict) else {}


def list_runs(editor: Editor) -> list[dict]:
    """The document's runs for the table: the record's summary plus the label."""
    root = runs_root(editor)
    if root is None:
        return []
    live = editor.control.run
    live_id = getattr(getattr(live, "rec", None), "store", None)
    live_id = getattr(live_id, "id", None)
    out = []
    for rec in run_list(root):
        d = pathlib.Path(rec["path"])
        label = _label(d)
        ckpts = sorted(c["step"] for c in rec.get("checkpoints") or [] if isinstance(c, dict)
                       and "step" in c)
        parent = rec.get("parent") or {}
        if rec.get("id") == live_id:  # the run in memory is ahead of its last flushed record
            rec["state"] = editor.control._state() or rec.get("state")
            rec["step"] = getattr(live, "step", rec.get("step"))
        out.append({
            "id": rec.get("id") or d.name, "name": label.get("name") or rec.get("name") or "",
            "pinned": bool(label.get("pinned")), "note": label.get("note") or "",
            "state": rec.get("state"), "started": (rec.get("timing") or {}).get("started")
            or rec.get("started"), "step": rec.get("step"), "steps": rec.get("steps"),
            "loss": rec.get("loss"), "best_loss": rec.get("best_loss"),
            "val_loss": rec.get("val_loss"), "checkpoints": ckpts,
            "parent": parent.get("run") if isinstance(parent, dict) else None,
            "parent_step": parent.get("step") if isinstance(parent, dict) else None,
            "live": rec.get("id") == live_id and editor.control.is_live(),
            "error": rec.get("error"),
        })
    return out


def cmd_runs(editor: Editor, content: dict | None = None) -> None:
    root = runs_root(editor)
    editor.send({"event": "runs", "runs": list_runs(editor),
                 "folder": None if root is None else root.name})


def run_series(run_dir: pathlib.Path, keys=SERIES_KEYS, limit: int = SERIES_LIMIT) -> dict:
    """A kept run's scalar series, at most `limit` points each: ``{key: {"step": [...],
    "value": [...]}}`` (bucket means once a run has more steps than `limit`)."""
    summary = load_run(run_dir).summary(limit)
    out = {}
    for k in keys:
        s = summary.series(k)
        if s.get("step"):
            out[k] = {"step": list(s["step"]), "value": list(s["mean"])}
    return out


def cmd_run_series(editor: Editor, content: dict) -> None:
    """Series of the selected runs, for the plots to overlay (one colour per run)."""
    ids = content.get("ids") or []
    if not isinstance(ids, list):
        raise GraphError("'ids' is a list of run ids", port="ids", found=type(ids).__name__)
    out = {}
    for rid in ids[:16]:
        out[rid] = run_series(_run_dir(editor, rid))
    # the names the table shows ("run 2" for an unnamed run), else the run's own name or id
    given = content.get("names") if isinstance(content.get("names"), dict) else {}
    names = {r["id"]: given.get(r["id"]) if isinstance(given.get(r["id"]), str)
             and given.get(r["id"]) else r["name"] or r["id"]
             for r in list_runs(editor) if r["id"] in out}
    colors = content.get("colors") if isinstance(content.get("colors"), dict) else {}
    editor.send({"event": "run_series", "runs": out, "names": names,
                 "colors": {k: str(v) for k, v in colors.items() if k in out}})


def cmd_run_diff(editor: Editor, content: dict) -> None:
    a, b = _run_dir(editor, content.get("a")), _run_dir(editor, content.get("b"))
    editor.send({"event": "run_diff", **diff_runs(a, b)})


def cmd_run_label(editor: Editor, content: dict) -> None:
    """Rename, pin or annotate a run (``name``, ``pinned``, ``note``; any of them)."""
    d = _run_dir(editor, content.get("id"))
    label = _label(d)
    for key, kind in (("name", str), ("note", str), ("pinned", bool)):
        if key in content:
            value = content[key]
            if not isinstance(value, kind):
                raise GraphError(f"a run's {key} is a {kind.__name__}", port=key,
                                 found=type(value).__name__)
            if kind is str and len(value) > 2000:
                raise GraphError(f"a run's {key} is at most 2000 characters", port=key,
                                 found=len(value))
            label[key] = value
    atomic_write_text(d / LABEL_FILE, json.dumps(label, indent=1, sort_keys=True) + "\n")
    cmd_runs(editor)


def _empty_trash(root: pathlib.Path, keep: str | None = None) -> None:
    trash = root / TRASH
    if not trash.is_dir():
        return
    for d in trash.iterdir():
        if d.name != keep:
            shutil.rmtree(d, ignore_errors=True)


def cmd_run_delete(editor: Editor, content: dict) -> None:
    """Move a run to ``NAME.runs/.trash/`` (undo brings it back; the next delete empties
    the trash). A live run is not deleted."""
    d = _run_dir(editor, content.get("id"))
    if any(r["id"] == d.name and r["live"] for r in list_runs(editor)):
        raise GraphError("stop the run before deleting it", port="runs", found=d.name)
    root = d.parent
    _empty_trash(root)
    (root / TRASH).mkdir(exist_ok=True)
    os.replace(d, root / TRASH / d.name)
    editor.send({"event": "run_deleted", "id": d.name})
    cmd_runs(editor)


def cmd_run_restore(editor: Editor, content: dict) -> None:
    """Undo a delete: the run comes back from the trash."""
    root = runs_root(editor)
    rid = content.get("id")
    if root is None or not isinstance(rid, str) or "/" in rid or rid.startswith("."):
        raise GraphError("no such run", port="runs", found=repr(rid)[:80])
    src = root / TRASH / rid
    if not (src / RUN_FILE).is_file():
        raise GraphError(f"run '{rid}' is no longer in the trash", port="runs", found=rid)
    os.replace(src, root / rid)
    cmd_runs(editor)


class RunsRefresh(Callback):
    """Sends the runs table again when a run ends (its record and weights are on disk by
    then: ``on_run_end`` comes after the run's last write)."""

    def __init__(self, editor: Editor):
        self.editor = editor

    def on_run_end(self, run: Any) -> None:
        try:
            cmd_runs(self.editor)
        except Exception:  # noqa: BLE001 - a table refresh must not break the run's end
            pass


def start(editor: Editor, **extra: Any) -> None:
    """What Train does: a document with no training section (and no data given) gets
    ``training_needed`` (the canvas opens its Training panel) instead of a kernel error;
    otherwise the run is kept in the document's runs folder and the table follows it.
    `extra` adds options for this run only (``fork=(run folder, step)``)."""
    control = editor.control
    if control.is_live():
        return
    if needs_training_section(editor) and "fork" not in extra:
        editor.send({"event": "training_needed",
                     "message": "Choose the data, loss and steps in the Training panel first."})
        control._status(message="choose the training data in the Training panel")
        return
    saved = control.options
    opts = {**saved, **extra}
    root = runs_root(editor)
    if root is not None and opts.get("out") is None:
        opts["out"] = root
    if opts.get("data_root") is None and document_file(editor) is not None:
        opts["data_root"] = data_root(editor)
    opts["callbacks"] = [RunsRefresh(editor), *opts.get("callbacks", ())]
    control.options = opts  # RunControl.train reads its options; these are for this run only
    try:
        control.train()
    except GraphError as e:
        if (e.port or "").startswith("training"):  # shown on the field it names
            editor.send({"event": "training_errors", "errors": [e.to_dict()]})
        raise
    finally:
        control.options = saved
    remember_live(editor)
    cmd_runs(editor)


def cmd_fork(editor: Editor, content: dict) -> None:
    """Start a new run from run `id`'s kept checkpoint at `step`, with the graph as it is
    edited now; its record names the parent and the step."""
    d = _run_dir(editor, content.get("id"))
    step = content.get("step")
    if step is not None and (not isinstance(step, int) or isinstance(step, bool)):
        raise GraphError("the fork's step is a whole number", port="step", found=repr(step))
    start(editor, fork=(str(d), step))


COMMANDS = {
    "training_catalog": cmd_training_catalog, "data_files": cmd_data_files,
    "kernel_vars": cmd_kernel_vars, "check_training": cmd_check_training,
    "runs": cmd_runs, "run_series": cmd_run_series, "run_diff": cmd_run_diff,
    "run_label": cmd_run_label, "run_delete": cmd_run_delete, "run_restore": cmd_run_restore,
    "fork": cmd_fork,
}


# -- live runs and new views ------------------------------------------------------------------

def remember_live(editor: Editor) -> None:
    """Note the editor's live run under its runs folder (for :func:`reattach`)."""
    root = runs_root(editor)
    if root is not None and editor.control.run is not None:
        with _live_lock:
            LIVE[str(root.resolve())] = editor.control


def reattach(editor: Editor) -> bool:
    """A new view of a document whose run is still going in this kernel (a reloaded page,
    a reopened tab) takes the run over: its stream and commands go to the new view."""
    root = runs_root(editor)
    if root is None:
        return False
    with _live_lock:
        old = LIVE.get(str(root.resolve()))
    if old is None or old is editor.control or not old.is_live():
        return False
    control = editor.control
    control.run, control.callback = old.run, old.callback
    if control.callback is not None:
        control.callback.editor = editor
    old.run = None  # the old view no longer controls it (its close must not stop it)
    remember_live(editor)
    control.state_changed(control._state(), control.run)
    return True


# -- export with the result -------------------------------------------------------------------

def _weights_run(editor: Editor, run_id: Any) -> pathlib.Path | None:
    """The run whose weights go with an export: `run_id`, else the newest run that has
    final weights (None when there is none)."""
    if run_id:
        return _run_dir(editor, run_id)
    root = runs_root(editor)
    if root is None:
        return None
    for rec in reversed(run_list(root)):
        d = pathlib.Path(rec["path"])
        if (d / "weights.pt").is_file():
            return d
    return None


def export_with_weights(editor: Editor, run_id: Any = None) -> tuple[str, str | None, list[str]]:
    """Export the graph as edited now (``dw.export``): the model module, its training file
    and the document, written beside the document when the editor shows a file (never
    elsewhere), and, when a run has weights for it, those weights copied there as
    ``NAME.pt`` with the loader line in the model's docstring. Returns ``(model source,
    weights file name or None, names of the files written)``."""
    import torch

    f = document_file(editor)
    stem = f.stem if f is not None else "model"
    texts = export_files(editor.graph, f"{stem}.py", source=f)
    model_name = next(iter(texts))
    run_dir = _weights_run(editor, run_id)
    weights_name = None
    if run_dir is not None:
        weights = run_dir / "weights.pt"
        if not weights.is_file():
            raise GraphError(f"run {run_dir.name} has no final weights (it did not end)",
                             port="export", hint="export after the run ends, or pick another run")
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model = editor.graph.compile(seed=0)
        mine = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in state.items()}
        if mine != theirs:
            differ = sorted({k.split(".")[1] for k in set(mine) ^ set(theirs) if k.count(".")}
                            | {k.split(".")[1] for k in set(mine) & set(theirs)
                               if mine[k] != theirs[k] and k.count(".")})
            raise GraphError(f"the graph changed since run {run_dir.name}: its weights do not "
                             "fit the graph as edited now", port="export", found=differ[:10],
                             hint="export the run's own graph, or train the edited graph first")
        target = data_root(editor) / f"{stem}.pt"
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(weights, tmp)
        os.replace(tmp, target)
        weights_name = target.name
        rec = json.loads((run_dir / RUN_FILE).read_text())
        loader = (f'model.load_state_dict(torch.load("{target.name}", weights_only=True))'
                  f'  # run {run_dir.name}, step {rec.get("step")}')
        source = texts[model_name]
        if LOADER in source:
            texts[model_name] = source.replace(LOADER, loader, 1)
        else:  # an exporter without the usual header: say it in a comment at the top
            texts[model_name] = f"# model = Model(); {loader}\n{source}"
    if f is None:  # no document, no folder of its own: the source goes back as text only
        return texts[model_name], weights_name, []
    for name, text in texts.items():
        atomic_write_text(data_root(editor) / name, text)
    return texts[model_name], weights_name, list(texts)
