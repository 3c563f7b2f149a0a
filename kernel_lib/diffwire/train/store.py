"""The run store: the folder every kept run writes, and nothing else touches.

```
NAME.runs/                      beside NAME.diffwire (or the `out` folder given)
  20261130-103512-3fa9/         one run: UTC start time + random suffix, never reused
    run.json                    the record: state, parent, seed, device, threads, timing,
                                last/best loss, kept checkpoints, settings
    events.json                 lr changes, rebuilds (kept/reset nodes), phases, pauses...
    model.diffwire              graph + training section the current weights belong to
    graphs/step_0000000.diffwire  the graph at the start and after each rebuild
    metrics/0000000000+812.jsonl  full-resolution step records, one chunk per flush
    metrics.csv                 the scalar columns of every step (written at the end)
    weights.pt                  final state dict (torch.load(weights_only=True))
    checkpoints/step_0000500.pt the kept checkpoints (last K and the best)
```

Every file is written whole to a temporary name and renamed (``document.atomic_write``):
a killed process leaves the previous version or the new one, never a partial file, and
loses at most the records not yet flushed. Metric chunks are never rewritten, so a resumed
or forked run hard-links its parent's chunks instead of copying them.
"""

from __future__ import annotations

import bisect
import collections
import csv
import errno
import io
import json
import os
import pathlib
import secrets
import time

from ..document import atomic_write, atomic_write_bytes, atomic_write_text
from ..errors import GraphError

FORMAT = "diffwire-run/1"
RUN_FILE = "run.json"
#: the CSV's columns; `member` is filled for an ensemble's rows (one per member per step)
SCALAR_KEYS = ("step", "loss", "val_loss", "grad_norm", "lr", "time", "wall", "phase",
               "member")


class StoreError(GraphError):
    """A run's folder could not be written or read (a full disk, a deleted folder...)."""

    code = "run_store"


def runs_folder(document: str | os.PathLike) -> pathlib.Path:
    """``NAME.runs`` beside the document ``NAME.diffwire``."""
    p = pathlib.Path(document)
    return p.with_name(p.stem + ".runs")


def new_id() -> str:
    """UTC start time to the millisecond plus 16 random bits: sorts by start time (two runs
    started in the same second keep their order), never collides in practice, and a
    collision is caught by the exclusive mkdir anyway."""
    t = time.time()
    ms = int(t * 1000) % 1000
    return (time.strftime("%Y%m%d-%H%M%S", time.gmtime(t)) + f"{ms:03d}-"
            + secrets.token_hex(2))


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _failure(exc: OSError, what: str, path: pathlib.Path) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        why = f"the disk is full ({exc.strerror})"
        hint = "free some space, then resume the run: nothing kept so far is lost"
    elif isinstance(exc, FileNotFoundError):
        why = "the run folder is gone (deleted?)"
        hint = "resume to write the run again from here on, or stop it"
    else:
        why = exc.strerror or str(exc)
        hint = "fix the folder's permissions or space, then resume the run"
    return StoreError(f"cannot write {what} to {path}: {why}", hint=hint,
                      found=f"{type(exc).__name__}: {exc}")


class MetricsLog:
    """The full-resolution step records of one run as JSON-lines chunks in ``metrics/``.

    A chunk's name holds its first record index and its length (``0000000000+812.jsonl``),
    so opening a log lists the folder without reading it."""

    CACHE = 2  # parsed chunks kept for reads nearby: sequential reading parses each once

    def __init__(self, run_dir: pathlib.Path):
        self.run_dir = run_dir
        self.dir = run_dir / "metrics"
        self._first: list[int] = []
        self._names: list[str] = []
        self._n = 0
        self._cache: collections.OrderedDict = collections.OrderedDict()
        self.missing = 0  # records before the first chunk on disk (lost with a deletion)
        if self.dir.is_dir():
            found = []
            for p in self.dir.glob("*.jsonl"):
                head, _, count = p.stem.partition("+")
                if head.isdigit() and count.isdigit():
                    found.append((int(head), int(count), p.name))
            found.sort()
            if found and found[0][0] > 0:  # the folder was made again after a deletion
                self._n = self.missing = found[0][0]
            for first, count, name in found:
                if first == self._n:  # contiguous chunks only: a gap ends the readable log
                    self._first.append(first)
                    self._names.append(name)
                    self._n += count

    def __len__(self) -> int:
        return self._n

    def write(self, records: list[dict]) -> None:
        self.commit(self.write_file(records), len(records))

    def write_file(self, records: list[dict]) -> str:
        """Write the chunk that follows the log's end; :meth:`commit` adds it to the log.
        (Two steps, so a reader never counts records whose file is still being written.)"""
        if not self.run_dir.is_dir():
            raise _failure(FileNotFoundError(errno.ENOENT, "No such directory"), "metrics",
                           self.run_dir)
        name = f"{self._n:010d}+{len(records)}.jsonl"
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
        try:
            atomic_write_text(self.dir / name, text)
        except OSError as exc:
            raise _failure(exc, "metrics", self.dir / name) from None
        return name

    def commit(self, name: str, count: int) -> None:
        self._first.append(self._n)
        self._names.append(name)
        self._n += count

    def read(self, start: int, stop: int) -> list[dict]:
        stop = min(stop, self._n)
        if start < min(stop, self.missing):
            raise StoreError(f"records {start}..{self.missing - 1} of the run in {self.run_dir}"
                             " are gone: its folder was deleted while it ran")
        out: list[dict] = []
        i = max(0, bisect.bisect_right(self._first, start) - 1)
        while start < stop and i < len(self._first):
            rows = self._chunk(i)
            first = self._first[i]
            out.extend(rows[start - first:stop - first])
            start = first + len(rows)
            i += 1
        return out

    def _chunk(self, i: int) -> list[dict]:
        name = self._names[i]
        if name in self._cache:
            self._cache.move_to_end(name)
            return self._cache[name]
        path = self.dir / name
        try:
            rows = [json.loads(line) for line in path.read_text().splitlines() if line]
        except FileNotFoundError:
            raise StoreError(f"the metrics chunk {path} is gone", hint="the run folder was "
                             "deleted or pruned while the run went on") from None
        self._cache[name] = rows
        while len(self._cache) > self.CACHE:
            self._cache.popitem(last=False)
        return rows

    def link_prefix(self, parent: MetricsLog, n: int) -> None:
        """Start this (empty) log with the parent's first `n` records: whole chunks are
        hard-linked (they are never rewritten), the chunk that straddles `n` is cut."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for i, first in enumerate(parent._first):
            if first >= n:
                break
            rows = parent._chunk(i)
            if first + len(rows) <= n:
                try:
                    os.link(parent.dir / parent._names[i], self.dir / parent._names[i])
                except OSError:  # another file system, or no hard links: copy
                    atomic_write_bytes(self.dir / parent._names[i],
                                       (parent.dir / parent._names[i]).read_bytes())
                self._first.append(first)
                self._names.append(parent._names[i])
                self._n += len(rows)
            else:
                self.write(rows[:n - first])

    def write_csv(self, path: pathlib.Path) -> None:
        """All records' scalar columns as one CSV, streamed chunk by chunk (bounded memory)."""

        def write(tmp: str) -> None:
            with open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(SCALAR_KEYS), extrasaction="ignore",
                                   lineterminator="\n")
                w.writeheader()
                for i in range(len(self._first)):
                    for r in self._chunk(i):
                        w.writerow({k: r.get(k, "") for k in SCALAR_KEYS})
                f.flush()
                os.fsync(f.fileno())

        atomic_write(path, write)


def keep_checkpoints(kept: list[dict], last: int, best: bool) -> list[dict]:
    """Which checkpoints survive: the newest `last` (0: all) and, when `best`, the one with
    the lowest ``score`` (validation loss, else training loss; earliest on a tie)."""
    if last <= 0:
        return list(kept)
    by_step = sorted(kept, key=lambda c: c["step"])
    keep = {c["step"] for c in by_step[-last:]}
    scored = [c for c in by_step if c.get("score") is not None]
    if best and scored:
        keep.add(min(scored, key=lambda c: (c["score"], c["step"]))["step"])
    return [c for c in by_step if c["step"] in keep]


class RunStore:
    """One run's folder (see the module docstring). Create with :meth:`create`; open an
    existing one with ``RunStore(path)``."""

    def __init__(self, path: str | os.PathLike):
        self.path = pathlib.Path(path)
        self.id = self.path.name
        self.metrics = MetricsLog(self.path)

    @classmethod
    def create(cls, root: str | os.PathLike) -> RunStore:
        """A new, empty run folder under `root` (created when missing). Two runs started at
        once get two folders: the run's own folder is made with an exclusive mkdir."""
        root = pathlib.Path(root)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise StoreError(f"the runs folder {root} is a file", port="out",
                             expected="a folder", found="a file") from None
        except OSError as exc:
            raise _failure(exc, "the runs folder", root) from None
        for _ in range(100):
            path = root / new_id()
            try:
                path.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                raise _failure(exc, "a run folder", path) from None
            return cls(path)
        raise StoreError(f"no free run id under {root}")

    def _write(self, what: str, name: str, data: str | bytes) -> pathlib.Path:
        path = self.path / name
        if not self.path.is_dir():
            raise _failure(FileNotFoundError(errno.ENOENT, "No such directory"), what, self.path)
        try:
            if isinstance(data, str):
                atomic_write_text(path, data)
            else:
                atomic_write_bytes(path, data)
        except OSError as exc:
            raise _failure(exc, what, path) from None
        return path

    def write_record(self, record: dict) -> None:
        self._write("the run record", RUN_FILE,
                    json.dumps({"format": FORMAT, **record}, indent=1, sort_keys=True,
                               default=str) + "\n")

    def read_record(self) -> dict:
        return read_record(self.path)

    def write_events(self, events: list[dict]) -> None:
        self._write("the events", "events.json", json.dumps(events, indent=1, default=str) + "\n")

    def write_graph(self, document_json: str, step: int) -> None:
        """The graph the weights from `step` on belong to: kept per build, and as
        ``model.diffwire`` (the latest)."""
        self._write("the graph", f"graphs/step_{step:07d}.diffwire", document_json)
        self._write("the graph", "model.diffwire", document_json)

    def write_weights(self, state_dict: dict) -> pathlib.Path:
        import torch

        buf = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in state_dict.items()}, buf)
        return self._write("the weights", "weights.pt", buf.getvalue())

    def write_csv(self) -> None:
        try:
            self.metrics.write_csv(self.path / "metrics.csv")
        except OSError as exc:
            raise _failure(exc, "metrics.csv", self.path / "metrics.csv") from None

    def checkpoint_path(self, step: int) -> pathlib.Path:
        return self.path / "checkpoints" / f"step_{step:07d}.pt"

    def prune(self, kept: list[dict], last: int, best: bool) -> tuple[list[dict], list[dict]]:
        """``(survivors, removed)`` under the retention rule; the caller writes the record
        without the removed ones first, then calls :meth:`delete` (a kill in between leaves
        an unlisted file, never a listed file that is gone)."""
        survivors = keep_checkpoints(kept, last, best)
        steps = {c["step"] for c in survivors}
        return survivors, [c for c in kept if c["step"] not in steps]

    def delete(self, removed: list[dict]) -> None:
        for c in removed:
            try:
                (self.path / c["file"]).unlink()
            except FileNotFoundError:
                pass


def read_record(run_dir: str | os.PathLike) -> dict:
    path = pathlib.Path(run_dir) / RUN_FILE
    try:
        rec = json.loads(path.read_text())
    except FileNotFoundError:
        raise StoreError(f"{run_dir} is not a run folder (no {RUN_FILE})") from None
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    if not isinstance(rec, dict) or rec.get("format") != FORMAT:
        raise StoreError(f"{path} is not a diffwire run record", expected=FORMAT,
                         found=rec.get("format") if isinstance(rec, dict) else type(rec).__name__)
    return rec
