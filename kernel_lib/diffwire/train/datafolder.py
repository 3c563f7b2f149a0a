"""The data files beside a document, described for the editor's Training panel.

``data_files(folder)`` lists the ``.csv`` and ``.npz`` files in a document's folder with
what a person needs to bind them: a CSV's columns, row count and first rows; an NPZ's
arrays with shapes and dtypes (read from the ``.npy`` headers, no data). A CSV is scanned
whole, and its first problem (a ragged row, a non-numeric cell, a header that does not
match the rows) is reported naming the file, the line and the column, so the panel can
refuse the file before the document names it.

Only the folder's own files are listed (no subfolders, no links leading out of it), and
nothing read from a file reaches an error message but its column names.
"""

from __future__ import annotations

import os
import pathlib
import zipfile

from . import limits
from .csvscan import CsvProblem, scan_csv
from .datafiles import npy_header

MAX_FILES = 200


def _describe_npz(path: pathlib.Path) -> dict:
    arrays = []
    with zipfile.ZipFile(path) as zf:
        for member in zf.namelist():
            if not member.endswith(".npy"):
                continue
            with zf.open(member) as f:
                shape, dtype = npy_header(f)
            arrays.append({"key": member[:-4], "shape": list(shape), "dtype": str(dtype)})
    return {"arrays": arrays}


def describe(path: pathlib.Path, rel: str) -> dict:
    """One file as the panel shows it; ``error`` (and ``line``/``column``) when it cannot
    be used."""
    entry: dict = {"path": rel, "kind": path.suffix.lower()[1:], "size": path.stat().st_size}
    if entry["size"] > limits.max_data_bytes():
        entry["error"] = f"{rel} is larger than the data limit"
        return entry
    try:
        if entry["kind"] == "csv":
            entry.update(scan_csv(path, rel))
        else:
            entry.update(_describe_npz(path))
    except CsvProblem as e:
        entry.update(error=str(e), line=e.line, column=e.column)
    except UnicodeDecodeError:
        entry["error"] = f"{rel} is not UTF-8 text"
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        entry["error"] = f"cannot read {rel} as a {entry['kind']} file"
    return entry


def data_files(folder: str | os.PathLike) -> list[dict]:
    """The ``.csv``/``.npz`` files directly in `folder`, sorted by name (links that lead
    outside the folder are left out)."""
    root = pathlib.Path(os.path.realpath(folder))
    if not root.is_dir():
        return []
    out = []
    for p in sorted(root.iterdir()):
        if p.suffix.lower() not in (".csv", ".npz"):
            continue
        real = pathlib.Path(os.path.realpath(p))
        if real.parent != root or not real.is_file():
            continue
        out.append(describe(real, p.name))
        if len(out) >= MAX_FILES:
            break
    return out
