"""A run's history: every step's record, readable as a list, with bounded memory.

Two pieces. :class:`Summary` keeps every scalar series (loss, val_loss, lr, ...) at full
resolution up to `limit` points, then in buckets of equal width with count, mean, min and
max; when the buckets pass `limit`, neighbours merge (the width doubles), so a series never
holds more than `limit` buckets whatever the run's length. :class:`History` is the sequence
``run.history``: ``len()``, indexing and slicing give the per-step dicts as before; the
newest records live in memory, older ones are read back from the run's metrics on disk
(see ``store.py``). A run without a folder keeps every record in memory, as it always did.
"""

from __future__ import annotations

import array
import collections
import collections.abc
import math
import threading
from typing import Any, Protocol

#: Record keys that are bookkeeping, not series to summarise.
NOT_SERIES = {"step", "nodes", "member"}


class _Series:
    """Buckets of one metric: first step, count, sum, min, max (plain arrays: 8 bytes each)."""

    __slots__ = ("width", "start", "count", "total", "low", "high")

    def __init__(self, width: int = 1):
        self.width = width
        self.start = array.array("q")
        self.count = array.array("q")
        self.total = array.array("d")
        self.low = array.array("d")
        self.high = array.array("d")

    def add(self, step: int, value: float) -> None:
        w = self.width
        if self.start and (step == self.start[-1] or w > 1 and step // w == self.start[-1] // w):
            self.count[-1] += 1
            self.total[-1] += value
            self.low[-1] = min(self.low[-1], value)
            self.high[-1] = max(self.high[-1], value)
            return
        self.start.append(step)
        self.count.append(1)
        self.total.append(value)
        self.low.append(value)
        self.high.append(value)

    def coarsen(self) -> None:
        """Double the bucket width: merge buckets that now share a bucket."""
        self.width *= 2
        merged = _Series(self.width)
        for i in range(len(self.start)):
            s = self.start[i]
            if merged.start and s // self.width == merged.start[-1] // self.width:
                merged.count[-1] += self.count[i]
                merged.total[-1] += self.total[i]
                merged.low[-1] = min(merged.low[-1], self.low[i])
                merged.high[-1] = max(merged.high[-1], self.high[i])
            else:
                merged.start.append(s)
                merged.count.append(self.count[i])
                merged.total.append(self.total[i])
                merged.low.append(self.low[i])
                merged.high.append(self.high[i])
        for k in _Series.__slots__[1:]:
            setattr(self, k, getattr(merged, k))

    def to_dict(self) -> dict:
        mean = [t / c for t, c in zip(self.total, self.count)]
        return {"width": self.width, "step": list(self.start), "count": list(self.count),
                "mean": mean, "min": list(self.low), "max": list(self.high)}

    @classmethod
    def from_dict(cls, d: dict) -> _Series:
        s = cls(int(d["width"]))
        s.start.extend(int(v) for v in d["step"])
        s.count.extend(int(v) for v in d["count"])
        s.total.extend(m * c for m, c in zip(d["mean"], d["count"]))
        s.low.extend(float(v) for v in d["min"])
        s.high.extend(float(v) for v in d["max"])
        return s


class Summary:
    """Every scalar series of a run in at most `limit` points each.

    ``series(key)`` returns ``{"width", "step", "count", "mean", "min", "max"}``: while a
    series has at most `limit` points, width is 1 and mean == min == max is the value at
    that step; after that each entry covers `width` consecutive steps starting at a multiple
    of `width` (``step`` is the first step that had a value)."""

    def __init__(self, limit: int = 2048):
        if limit < 2:
            raise ValueError("a summary keeps at least 2 points per series")
        self.limit = limit
        self._series: dict[str, _Series] = {}

    def add(self, record: dict) -> None:
        step = record.get("step")
        if type(step) is not int:
            return
        series = self._series
        for k, v in record.items():  # every step: plain type checks, no isinstance tuples
            t = type(v)
            if t is not float and t is not int:
                if t is bool or not isinstance(v, (int, float)):
                    continue  # dicts (per-node stats), strings, flags
                v = float(v)  # numpy scalars from a block's metrics()
            if k in NOT_SERIES or not math.isfinite(v):
                continue
            s = series.get(k)
            if s is None:
                s = series[k] = _Series()
            s.add(step, v)
            if len(s.start) > self.limit:
                s.coarsen()

    def keys(self) -> list[str]:
        return list(self._series)

    def series(self, key: str) -> dict:
        s = self._series.get(key)
        return s.to_dict() if s is not None else _Series().to_dict()

    def state_dict(self) -> dict:
        """Plain lists and numbers (a checkpoint stores it; ``weights_only`` loads it)."""
        return {"limit": self.limit, "series": {k: s.to_dict() for k, s in self._series.items()}}

    @classmethod
    def from_state(cls, state: dict) -> Summary:
        out = cls(int(state.get("limit", 2048)))
        out._series = {k: _Series.from_dict(d) for k, d in state.get("series", {}).items()}
        return out


class Disk(Protocol):
    """What :class:`History` needs of the run's metrics on disk (``store.MetricsLog``)."""

    def __len__(self) -> int: ...

    def read(self, start: int, stop: int) -> list[dict]: ...

    def write_file(self, records: list[dict]) -> str: ...

    def commit(self, name: str, count: int) -> None: ...


class History(collections.abc.Sequence):
    """``run.history``: one dict per step, as a read-only sequence (``len``, ``[i]``,
    ``[a:b]``, iteration). With a `disk`, only the records not yet written plus the newest
    `tail` stay in memory and the rest are read back from disk when asked for; without one,
    every record stays in memory.

    **Arguments:**

    - `disk`: the run's metrics log (``store.MetricsLog``), or None.
    - `tail`: how many of the newest records to keep in memory for cheap reads.
    """

    def __init__(self, disk: Disk | None = None, tail: int = 1024):
        self.disk = disk
        self._lock = threading.Lock()
        self._all: list[dict] | None = [] if disk is None else None
        self._pending: list[dict] = []  # appended, not yet on disk
        self._tail: collections.deque = collections.deque(maxlen=tail)

    # -- writing (the training thread) --------------------------------------------------

    def append(self, record: dict) -> None:
        if self._all is not None:
            self._all.append(record)
            return
        with self._lock:  # readers take both at once: the two must agree
            self._pending.append(record)
            self._tail.append(record)

    @property
    def pending(self) -> int:
        """Records appended but not yet on disk."""
        return len(self._pending)

    def flush(self, count: int | None = None) -> int:
        """Write the first `count` pending records (default: all) to disk as one chunk;
        returns how many were written. Appends may go on meanwhile (the file is written
        outside the lock); one flush at a time. On an error (a full disk, a deleted folder)
        the records stay pending and the error rises."""
        if self.disk is None or not self._pending:
            return 0
        with self._lock:
            batch = self._pending[:count]
        if not batch:
            return 0
        name = self.disk.write_file(batch)
        with self._lock:  # readers must not count these both on disk and pending
            self.disk.commit(name, len(batch))
            del self._pending[:len(batch)]
        return len(batch)

    def replace(self, records: list[dict]) -> None:
        """Start over from `records` (a resumed run's past), written out at the next flush."""
        if self._all is not None:
            self._all = [dict(r) for r in records]
            return
        self._pending = [dict(r) for r in records]
        self._tail.clear()
        self._tail.extend(self._pending[-self._tail.maxlen:] if self._tail.maxlen else [])

    # -- reading (any thread) -----------------------------------------------------------

    def __len__(self) -> int:
        if self._all is not None:
            return len(self._all)
        with self._lock:
            return len(self.disk) + len(self._pending)

    def __getitem__(self, index: Any):
        if self._all is not None:
            return self._all[index]
        if isinstance(index, slice):
            start, stop, stride = index.indices(len(self))
            if stride != 1:
                return [self[i] for i in range(start, stop, stride)]
            return self._range(start, stop)
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError("history index out of range")
        return self._range(i, i + 1)[0]

    def _range(self, start: int, stop: int) -> list[dict]:
        if stop <= start:
            return []
        with self._lock:
            on_disk = len(self.disk)
            pending = list(self._pending)
            tail = list(self._tail)
        total = on_disk + len(pending)
        stop = min(stop, total)
        first_tail = total - len(tail)
        if start >= first_tail:
            return tail[start - first_tail:stop - first_tail]
        out = self.disk.read(start, min(stop, on_disk))
        if stop > on_disk:
            out.extend(pending[max(0, start - on_disk):stop - on_disk])
        return out

    def __iter__(self):
        if self._all is not None:
            yield from list(self._all)
            return
        n, step = len(self), 4096
        for a in range(0, n, step):
            yield from self._range(a, min(n, a + step))

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """``(steps, values)`` of one metric (``loss``, ``val_loss``, ``lr``...)."""
        pts = [(r["step"], r[key]) for r in self if key in r]
        return [p[0] for p in pts], [p[1] for p in pts]

    def __repr__(self) -> str:
        where = "in memory" if self._all is not None else f"{self.pending} pending, rest on disk"
        return f"<History {len(self)} records, {where}>"
