"""Scanning a numeric CSV with a header row: its first problem located by line and column.

``np.loadtxt`` says "could not convert string" at a row and column index, or that "the
number of columns changed"; a person fixing the file wants the file, the line as their
editor counts it and the column's name. Nothing from the file but column names goes into
a message.
"""

from __future__ import annotations

import csv
import math
import pathlib

PREVIEW_ROWS = 5


class CsvProblem(ValueError):
    """A CSV that cannot be read as numbers: `line` (1 is the header) and `column`."""

    def __init__(self, message: str, line: int, column: str | None):
        super().__init__(message)
        self.line = line
        self.column = column


def scan_csv(path: pathlib.Path, rel: str | None = None,
             preview: int = PREVIEW_ROWS) -> dict:
    """Header, row count and the first `preview` rows of a numeric CSV with a header row.

    Raises :class:`CsvProblem` at the first bad line: a header cell that is empty or
    repeated, a row with another number of cells than the header, a cell that is not a
    number (named by its column)."""
    rel = rel or path.name
    rows: list[list[float]] = []
    n = 0
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise CsvProblem(f"{rel} is empty: a header row is needed", 1, None)
        header = [h.strip() for h in header]
        for i, h in enumerate(header):
            if not h:
                raise CsvProblem(f"{rel}, line 1: column {i + 1} has no name", 1, None)
            if h in header[:i]:
                raise CsvProblem(f"{rel}, line 1: column name '{h}' is repeated", 1, h)
        for line, cells in enumerate(reader, start=2):
            if not cells or all(not c.strip() for c in cells):
                continue  # blank lines: numpy skips them too
            if len(cells) != len(header):
                col = header[len(cells)] if len(cells) < len(header) else None
                raise CsvProblem(
                    f"{rel}, line {line}: {len(cells)} values, but the header names "
                    f"{len(header)} columns" + (f" (no value for '{col}')" if col else ""),
                    line, col)
            values = []
            for col, (name, cell) in enumerate(zip(header, cells), start=1):
                try:
                    v = float(cell)
                except ValueError:
                    raise CsvProblem(f"{rel}, line {line}, column {col} ('{name}'): not a "
                                     "number", line, name) from None
                values.append(v if math.isfinite(v) else None)
            n += 1
            if len(rows) < preview:
                rows.append(values)
    if n == 0:
        raise CsvProblem(f"{rel} has no data rows", 2, None)
    return {"columns": header, "rows": n, "preview": rows}
