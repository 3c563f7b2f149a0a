"""Paths a document or a run names, resolved before use and kept inside their folder.

A check on the text of a path (no ``..``, not absolute) is not enough: a symbolic link
beside the document, or a linked folder on the way, can point anywhere. Every path is
therefore resolved (``os.path.realpath``: every link followed) and compared with the
resolved folder it must stay in. The errors name the path as written and never show
anything read from the file it points to.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

from ..errors import GraphError


def _inside(path: pathlib.Path, folder: pathlib.Path) -> bool:
    return path == folder or folder in path.parents


def data_path(rel: Any, root: str | os.PathLike, port: str) -> pathlib.Path:
    """The resolved file that a binding's relative `rel` names inside `root`.

    Refused: anything but a non-empty relative path without ``..``, and any path whose
    resolution (links followed) lands outside the resolved `root`.
    """
    if not isinstance(rel, str) or not rel or "\x00" in rel:
        raise GraphError("a file binding needs a relative 'path'", port=port,
                         found=repr(rel)[:80])
    p = pathlib.PurePosixPath(rel)
    if p.is_absolute() or pathlib.PureWindowsPath(rel).is_absolute() or ".." in p.parts:
        raise GraphError("data paths are relative to the document's folder", port=port,
                         found=rel, expected="a relative path without '..'")
    folder = pathlib.Path(os.path.realpath(root))
    resolved = pathlib.Path(os.path.realpath(folder / p))
    if not _inside(resolved, folder):
        raise GraphError("the data path leads outside the document's folder (through a "
                         "symbolic link)", port=port, found=rel,
                         expected="a file inside the document's folder",
                         hint="copy the file next to the document instead of linking it")
    return resolved


def run_folder(out: str | os.PathLike, doc_folder: str | os.PathLike | None = None) -> pathlib.Path:
    """The run folder `out` (relative to the working directory), resolved; refused when a
    link on its way leads out of the folder it is written in.

    `out` is the person's choice (a ``dw.train`` argument, ``--out``), not the
    document's, so a folder anywhere is fine. What is refused is a folder written as
    lying inside the document's folder (or the working directory) that resolves outside
    it: a ``runs`` link planted beside a document would otherwise receive the run's
    checkpoints and weights. A folder elsewhere may not itself be such a link. Inside it,
    each run makes its own folder afresh (``store.py``), so nothing deeper can be a link.
    """
    written = pathlib.Path(os.path.abspath(out))
    anchors = [pathlib.Path(os.path.abspath(a)) for a in (doc_folder, os.getcwd()) if a is not None]
    anchor = next((a for a in anchors if _inside(written, a)), written.parent)
    real = pathlib.Path(os.path.realpath(written))
    if not _inside(real, pathlib.Path(os.path.realpath(anchor))):
        raise GraphError("the run folder leads elsewhere through a symbolic link",
                         port="out", found=str(written), expected=f"a folder inside {anchor}",
                         hint="remove the link or choose another out folder")
    return pathlib.Path(os.path.realpath(written))


def checkpoint_file(path: str | os.PathLike) -> pathlib.Path:
    """A checkpoint path to read: it must be a regular file once links are followed, and
    a link may not lead out of the folder the path names (a ``step_0000010.pt`` link
    into another folder is refused)."""
    written = pathlib.Path(os.path.abspath(path))
    real = pathlib.Path(os.path.realpath(written))
    folder = pathlib.Path(os.path.realpath(written.parent))
    if not _inside(real, folder):
        raise GraphError("the checkpoint path is a link to another folder", port="checkpoint",
                         found=str(path), expected="a checkpoint file, not a link")
    return real
