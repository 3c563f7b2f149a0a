"""The Ablation panel's kernel side: the vector fields' terms (the panel's checkboxes are
the Expression nodes' ``ablatable`` flags, so the choice is saved with the document), an
ablation started in a background thread with its progress streamed, and the results kept
in the document's runs folder (``NAME.runs/ablation-<id>/``), listed and reopened.

Each command is a function ``(editor, content)`` in :data:`COMMANDS`; answers are events
(README.md, "Ablation")."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from ..errors import GraphError
from ..train.ablation import ablate, ablations, field_terms, load_ablation
from ..train.ablation.result import COLUMNS, plain
from ..train.ablation.terms import solves
from .workbench import document_file, runs_root

if TYPE_CHECKING:
    from .editor import Editor

#: the ablation running for an editor: {"thread", "stop"}
RUNNING: weakref.WeakKeyDictionary[Any, dict] = weakref.WeakKeyDictionary()
DEFAULTS = {"seeds": 3, "budget": 200, "fractions": [1.0]}


def terms_form(editor: Editor) -> dict:
    """The panel's checkboxes: every Expression of a vector field, marked or not."""
    g = editor.graph
    terms = [{"path": t.path, "label": t.label, "marked": t.marked,
              "expr": g.node(t.path).params.get("expr", "")} for t in field_terms(g)]
    note = None
    if not solves(g):
        note = "This graph has no ODESolve: ablation varies the known terms of a vector field."
    elif not terms:
        note = "The ODESolve's field has no Expression terms to withhold."
    return {"terms": terms, "note": note}


def cmd_ablation_terms(editor: Editor, content: dict) -> None:
    """The terms, the kept ablations, whether one runs; with `latest`, the newest result."""
    root = runs_root(editor)
    kept = ablations(root) if root is not None else []
    editor.send({"event": "ablation_terms", **terms_form(editor), "kept": kept,
                 "running": _running(editor), "defaults": DEFAULTS})
    if content.get("latest") and kept:
        _send_result(editor, kept[-1]["path"])


def cmd_ablation_start(editor: Editor, content: dict) -> None:
    if _running(editor):
        raise GraphError("an ablation is already running", port="ablation",
                         hint="stop it first")
    terms = content.get("terms") or None
    seeds = content.get("seeds", DEFAULTS["seeds"])
    budget = content.get("budget", DEFAULTS["budget"])
    fractions = content.get("fractions", DEFAULTS["fractions"])
    backend = content.get("backend", "batched")
    wrong = content.get("wrong") or None  # {term path: expression, or None to flip its sign}
    graph = editor.graph.copy()
    doc, out = document_file(editor), runs_root(editor)
    stop = threading.Event()

    def progress(done: int, total: int, row: dict) -> None:
        editor.send({"event": "ablation_progress", "done": done, "total": total,
                     "variant": row.get("variant"), "failure": row.get("failure")})

    def work() -> None:
        try:
            result = ablate(graph, terms=terms, seeds=seeds, budget=budget, fractions=fractions,
                            wrong=wrong, backend=backend, document=doc, out=out,
                            save=out is not None, on_progress=progress, stop=stop)
            editor.send({"event": "ablation_result", **result_payload(result)})
        except GraphError as e:
            editor.send({"event": "ablation_error", "message": str(e), "error": e.to_dict()})
        except Exception as e:  # noqa: BLE001 - the panel shows it; the kernel lives on
            editor.send({"event": "ablation_error", "message": f"{type(e).__name__}: {e}"})
        finally:
            RUNNING.pop(editor, None)
            cmd_ablation_terms(editor, {})

    t = threading.Thread(target=work, name="diffwire-ablation", daemon=True)
    RUNNING[editor] = {"thread": t, "stop": stop}
    editor.send({"event": "ablation_progress", "done": 0, "total": None, "variant": None,
                 "failure": None})
    t.start()


def cmd_ablation_stop(editor: Editor, content: dict) -> None:
    entry = RUNNING.get(editor)
    if entry:
        entry["stop"].set()


def cmd_ablation_open(editor: Editor, content: dict) -> None:
    """A kept ablation by id (a folder name in the runs folder)."""
    root = runs_root(editor)
    ident = content.get("id")
    if root is None or not isinstance(ident, str) or not ident.startswith("ablation-") \
            or "/" in ident or "\\" in ident or not (root / ident).is_dir():
        raise GraphError("no such ablation", port="ablation", found=repr(ident)[:80])
    _send_result(editor, root / ident)


def _send_result(editor: Editor, path) -> None:
    editor.send({"event": "ablation_result", **result_payload(load_ablation(path))})


def result_payload(result) -> dict:
    """What the panel draws: the summary rows (non-finite numbers as strings), its
    columns, and what ran."""
    return {"id": result.id, "meta": plain(result.meta), "summary": plain(result.summary),
            "columns": [list(c) for c in COLUMNS], "markdown": result.to_markdown()}


def _running(editor: Editor) -> bool:
    entry = RUNNING.get(editor)
    return bool(entry and entry["thread"].is_alive())


COMMANDS = {
    "ablation_terms": cmd_ablation_terms,
    "ablation_start": cmd_ablation_start,
    "ablation_stop": cmd_ablation_stop,
    "ablation_open": cmd_ablation_open,
}
