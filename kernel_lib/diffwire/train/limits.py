"""Limits on what a document can make diffwire read or spend, and how a person raises them.

A document is not trusted to raise its own limits: they come from the environment, the
command line (``diffwire train --max-data-mb``) or Python (``set_max_data_bytes``).
"""

from __future__ import annotations

import os

ENV = "DIFFWIRE_MAX_DATA_BYTES"
#: 2 GiB: far above the data sets diffwire trains on in a notebook, far below what
#: makes a machine swap.
DEFAULT_MAX_DATA_BYTES = 2 * 1024**3

_max_data_bytes: int | None = None

#: A graph with a data-dependent loop (a while Loop, a Loop whose count is an input) gets
#: this step timeout, in seconds, unless one is set: a loop that never ends then fails
#: the run with the node it was stuck in instead of hanging it.
DEFAULT_LOOP_STEP_TIMEOUT = 600.0


def max_data_bytes() -> int:
    """The largest data array (``.npz`` member, ``.csv`` file) a binding may read."""
    if _max_data_bytes is not None:
        return _max_data_bytes
    text = os.environ.get(ENV, "").strip()
    if text.isdigit():
        return int(text)
    return DEFAULT_MAX_DATA_BYTES


def set_max_data_bytes(n: int | None) -> None:
    """Raise (or lower) the data size limit for this process; None restores the default."""
    global _max_data_bytes
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise ValueError(f"a byte count, not {n!r}")
    _max_data_bytes = n
