"""The editor's `group` and `ungroup` commands (Ctrl/Cmd+G, Shift+Ctrl/Cmd+G).

The canvas sends the graph it shows (the top graph or a body) with the selected ids and a
`request` token; the answer is an ``edit`` event with the new graph and the ids to select,
which the canvas commits as one undo step, only if it still shows the graph it sent. The
kernel's own document is not touched here: it changes when the canvas writes the edit, as
for every other edit, so undo, redo and both hosts need nothing new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..blocks.grouping import group_selection, ungroup
from ..errors import GraphError

if TYPE_CHECKING:
    from .editor import Editor


def _arguments(content: dict) -> tuple[dict, list[str]]:
    graph, ids = content.get("graph"), content.get("ids")
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list) \
            or not isinstance(graph.get("edges"), list):
        raise GraphError(f"{content.get('cmd')}: the canvas sent no graph",
                         expected="a graph with nodes and edges", found=type(graph).__name__)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise GraphError(f"{content.get('cmd')}: the canvas sent no node ids",
                         expected="a list of node ids", found=repr(ids)[:80])
    return graph, ids


def _answer(editor: Editor, content: dict, graph: dict | None, select: list[str]) -> None:
    editor.send({"event": "edit", "request": content.get("request"), "graph": graph,
                 "select": select})


def cmd_group(editor: Editor, content: dict) -> None:
    """The selection `ids` of `graph` into a new Group node (blocks/grouping.py)."""
    graph, ids = _arguments(content)
    done = group_selection(graph, ids)
    _answer(editor, content, *((done[0], [done[1]]) if done else (None, [])))


def cmd_ungroup(editor: Editor, content: dict) -> None:
    """Every Group node among `ids` of `graph` dissolved, in order."""
    graph, ids = _arguments(content)
    out: Any = None
    back: list[str] = []
    for gid in ids:
        done = ungroup(out or graph, gid)
        if done:
            out, back = done[0], back + done[1]
    _answer(editor, content, out, back)


COMMANDS = {"group": cmd_group, "ungroup": cmd_ungroup}
