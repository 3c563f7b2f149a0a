"""Reading ``.npz`` and ``.csv`` data files: sizes checked from headers before reading.

An ``.npz`` member's ``.npy`` header declares its shape and dtype; a header claiming a
terabyte would make numpy ask for a terabyte. The header is read first (no pickle, no
data) and the array is refused when it is larger than :data:`limits.max_data_bytes`. A
``.csv`` is held to the same limit by its size on disk. Errors name the binding and the
file as written in the document; they never quote the file's content (a line of a file
is not something an error message should carry to a terminal or a log).
"""

from __future__ import annotations

import math
import os
import pathlib
import re
import warnings
import zipfile

import numpy as np

from ..errors import GraphError
from . import limits
from .csvscan import CsvProblem, scan_csv
from .paths import data_path


def _err(name: str, message: str, **kw) -> GraphError:
    return GraphError(message, port=f"training.data.{name}", **kw)


def read(name: str, b: dict, root: pathlib.Path) -> np.ndarray:
    """The array a file binding names (a resolved path inside `root`, size checked)."""
    rel = b.get("path")
    path = data_path(rel, root, f"training.data.{name}")
    if not path.is_file():  # also refuses FIFOs and devices, which would block or never end
        raise _err(name, f"data file not found: {rel}", expected="a file next to the document",
                   found=rel)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        if "columns" in b:
            raise _err(name, "'columns' selects CSV columns; an .npz binding picks an array "
                             "with 'key'", found="columns")
        return _read_npz(name, b.get("key", name), path, rel)
    if suffix == ".csv":
        return _read_csv(name, b.get("columns"), path, rel)
    raise _err(name, "data files are .npz or .csv", found=rel)


def _too_big(name: str, rel: str, nbytes: int) -> GraphError:
    return _err(name, f"{rel} holds {nbytes:,} bytes of data, more than the limit",
                expected=f"<= {limits.max_data_bytes():,} bytes", found=f"{nbytes:,} bytes",
                hint=f"raise the limit with {limits.ENV}=BYTES or diffwire train --max-data-mb")


def npy_header(fp) -> tuple[tuple, np.dtype]:
    """(shape, dtype) from an ``.npy`` stream's header, without reading its data."""
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
    else:  # 3.0 (UTF-8 field names) has no public header reader: refused, not guessed
        raise ValueError(f"unsupported .npy format version {version}")
    return shape, dtype


def _read_npz(name: str, key, path: pathlib.Path, rel: str) -> np.ndarray:
    if not isinstance(key, str):
        raise _err(name, "'key' names an array in the file", found=repr(key)[:80])
    unreadable = _err(name, f"cannot read {rel} as an .npz archive of plain arrays",
                      expected="a file written by numpy.savez")
    if not zipfile.is_zipfile(path):
        raise unreadable
    try:
        with zipfile.ZipFile(path) as zf:
            members = {n[:-4]: n for n in zf.namelist() if n.endswith(".npy")}
            if key not in members:
                raise _err(name, f"{rel} has no array '{key}'", expected=sorted(members)[:20],
                           found=key)
            with zf.open(members[key]) as f:
                shape, dtype = npy_header(f)
            if dtype.hasobject:
                raise _err(name, f"{rel}: array '{key}' holds Python objects, which cannot "
                                 "be read without pickle; refused", expected="a numeric array")
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes > limits.max_data_bytes():
                raise _too_big(name, rel, nbytes)
        with np.load(path, allow_pickle=False) as z:
            return z[key]
    except GraphError:
        raise
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, MemoryError,
            TypeError, RuntimeError, NotImplementedError, SyntaxError) as exc:
        unreadable.message += f" ({type(exc).__name__})"
        unreadable.args = (unreadable._text(),)
        raise unreadable from None


_WHERE = re.compile(r"(?:at )?row (\d+), column (\d+)")


def _read_csv(name: str, cols, path: pathlib.Path, rel: str) -> np.ndarray:
    size = os.stat(path).st_size
    # float32 values take fewer bytes than their text (at least "0," per value)
    if size > limits.max_data_bytes():
        raise _too_big(name, rel, size)
    try:
        with path.open(encoding="utf-8") as f:
            header = [h.strip() for h in f.readline().split(",")]
        with warnings.catch_warnings():  # "input contained no data": an error below
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float32,
                               encoding="utf-8")
    except UnicodeDecodeError:
        raise _err(name, f"{rel} is not UTF-8 text", expected="a numeric CSV") from None
    except ValueError as exc:
        try:  # numpy's message counts from the first data row; say line and column name
            scan_csv(path, rel, preview=0)
        except CsvProblem as problem:
            raise _err(name, str(problem), expected="numbers separated by commas, one "
                       "header row", found=f"line {problem.line}" + (
                           f", column '{problem.column}'" if problem.column else "")) from None
        except (OSError, UnicodeDecodeError):
            pass
        m = _WHERE.search(str(exc))
        # numpy counts data rows from 0 after the header and columns from 1
        where = f" (line {int(m.group(1)) + 2}, column {int(m.group(2))})" if m else ""
        raise _err(name, f"{rel} is not a numeric CSV with a header row{where}",
                   expected="numbers separated by commas, one header row") from None
    if table.size == 0:
        raise _err(name, f"{rel} has no data rows", expected="a header row, then numbers")
    if cols is None:
        return table
    if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
        raise _err(name, "'columns' is a list of column names", found=repr(cols)[:80])
    missing = [c for c in cols if c not in header]
    if missing:
        raise _err(name, f"{rel}, line 1: no column(s) {missing}", expected=header[:20],
                   found=missing)
    return table[:, [header.index(c) for c in cols]]
