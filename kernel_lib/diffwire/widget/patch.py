"""Canvas writes as patches (extension/src/patch.ts makes them).

A write from the canvas is ``{"cmd": "write", "patch": {...}}`` or ``{"cmd": "write",
"doc": {...}}``. A patch carries whole node documents for the nodes added or changed, the
full id order when nodes were added, removed or reordered, and ``edges``/``training``/
``meta`` when they changed. Applying it to the kernel's copy gives the canvas's document;
anything that does not fit (a node the copy lacks, a malformed patch) is a PatchError, and
the editor asks the canvas for the whole document instead.
"""

from __future__ import annotations

from ..errors import GraphError


class PatchError(GraphError):
    """A patch that does not apply to the kernel's copy of the document."""


def apply_patch(doc: dict, patch: dict) -> dict:
    """`doc` with `patch` applied (a new dict; unchanged node documents are shared)."""
    if not isinstance(patch, dict) or not isinstance(patch.get("nodes", []), list):
        raise PatchError("the canvas sent a malformed patch", expected="a patch object",
                         found=type(patch).__name__)
    changed = {}
    for n in patch.get("nodes", []):
        if not isinstance(n, dict) or not isinstance(n.get("id"), str):
            raise PatchError("a patched node has no id", expected="a node document",
                             found=repr(n)[:80])
        changed[n["id"]] = n
    old = {n.get("id"): n for n in doc.get("nodes", []) if isinstance(n, dict)}
    order = patch.get("order")
    if order is None:
        order = list(old)
        if any(nid not in old for nid in changed):
            raise PatchError("a patch adds nodes but gives no order")
    elif not isinstance(order, list):
        raise PatchError("a patch's order is not a list", found=type(order).__name__)
    nodes = []
    for nid in order:
        node = changed.get(nid, old.get(nid))
        if node is None:
            raise PatchError(f"the patch names node '{nid}', which the kernel's copy lacks",
                             node=str(nid))
        nodes.append(node)
    out = dict(doc)
    out["nodes"] = nodes
    for key in ("edges", "training", "meta"):
        if key in patch:
            out[key] = patch[key]
    return out
