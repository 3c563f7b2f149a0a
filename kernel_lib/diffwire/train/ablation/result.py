"""A graph ablation's results: the spec ablation's table plus the spread over seeds, the
information-criterion rank and each failed variant's reason; kept as JSON and CSV in the
document's runs folder (``NAME.runs/ablation-<id>/``) and read back from there."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import pathlib
import statistics

from ...document import atomic_write_text
from ...errors import GraphError
from ...ode.table import AblationResult, _fmt
from ..store import new_id

RESULTS = "results.json"
TABLE = "results.csv"
PREFIX = "ablation-"
SPREAD = ("train_loss", "interp_rmse", "extrap2x_rmse", "extrap10x_rmse")

#: (summary key, title): the columns of the panel's table, the CSV and to_markdown()
COLUMNS = (
    ("variant", "variant"), ("fraction", "data"), ("n", "seeds"),
    ("train_loss", "train loss"), ("interp_rmse", "interp RMSE"),
    ("extrap2x_rmse", "extrap 2x RMSE"), ("extrap2x_rmse_spread", "2x spread"),
    ("extrap10x_rmse", "extrap 10x RMSE"), ("extrap10x_rmse_spread", "10x spread"),
    ("nfe", "NFE"), ("wall_s", "wall s"), ("bic", "BIC"), ("ic_rank", "BIC rank"),
    ("failures", "failed"),
)


class GraphAblationResult(AblationResult):
    """Rows of every job and their summary by variant and data fraction (medians over
    seeds, with the min-max spread of each error), ranked by BIC within each fraction.
    `meta` says what ran (document, terms, seeds, budget, fractions); `path` where it is
    kept (None until saved)."""

    def __init__(self, rows: list[dict], variants: list, meta: dict | None = None,
                 path: pathlib.Path | None = None):
        super().__init__(rows, [_Named(v) for v in variants])
        self.meta = dict(meta or {})
        self.path = path
        _extend(self.summary, rows)

    def __repr__(self) -> str:
        where = f", {self.path}" if self.path else ""
        return f"GraphAblationResult({len(self.variants)} variants, {len(self.rows)} runs{where})"

    @property
    def id(self) -> str | None:
        return self.path.name if self.path else None

    def to_markdown(self) -> str:
        head = "| " + " | ".join(t for _, t in COLUMNS) + " |"
        lines = [head, "|" + "|".join("---" for _ in COLUMNS) + "|"]
        for row in self.summary:
            lines.append("| " + " | ".join(_cell(row, k) for k, _ in COLUMNS) + " |")
        return "\n".join(lines)

    def to_csv(self) -> str:
        """The summary table, one line per variant and fraction (inf: diverged)."""
        keys = [k for k, _ in COLUMNS] + [f"{m}_{e}" for m in SPREAD for e in ("lo", "hi")] \
            + ["aicc", "reasons"]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(keys)
        for row in self.summary:
            w.writerow([_csv(row.get(k)) for k in keys])
        return buf.getvalue()

    def to_json(self) -> dict:
        """Plain JSON (inf and NaN as strings, so any JSON reader takes it)."""
        return plain({"format": "diffwire-ablation/1", "meta": self.meta,
                       "variants": self.variants, "rows": self.rows,
                       "summary": self.summary, "columns": [list(c) for c in COLUMNS]})

    def save(self, runs_root: str | os.PathLike) -> pathlib.Path:
        """Write ``ablation-<id>/results.json`` and ``results.csv`` under `runs_root`
        (atomically: each file written beside, then renamed)."""
        d = pathlib.Path(runs_root) / f"{PREFIX}{new_id()}"
        d.mkdir(parents=True, exist_ok=False)
        atomic_write_text(d / RESULTS, json.dumps(self.to_json(), indent=1, sort_keys=True))
        atomic_write_text(d / TABLE, self.to_csv())
        self.path = d
        return d


class _Named:
    def __init__(self, v):
        self.name = v if isinstance(v, str) else v.name


def _extend(summary: list[dict], rows: list[dict]) -> None:
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["variant"], r["fraction"]), []).append(r)
    for s in summary:
        g = groups[(s["variant"], s["fraction"])]
        for m in SPREAD:
            vals = [r[m] for r in g if isinstance(r.get(m), (int, float)) and not math.isnan(r[m])]
            s[f"{m}_lo"] = min(vals) if vals else math.nan
            s[f"{m}_hi"] = max(vals) if vals else math.nan
        for ic in ("bic", "aicc"):
            vals = [r[ic] for r in g if isinstance(r.get(ic), (int, float))
                    and not math.isnan(r[ic])]
            s[ic] = statistics.median(vals) if vals else math.nan
        s["reasons"] = sorted({r["failure"] for r in g if r.get("failure")})
    for frac in {s["fraction"] for s in summary}:
        same = sorted((s for s in summary if s["fraction"] == frac),
                      key=lambda s: s["bic"] if math.isfinite(s["bic"]) else math.inf)
        for i, s in enumerate(same, 1):
            s["ic_rank"] = i


def _cell(row: dict, key: str) -> str:
    if key.endswith("_spread"):
        m = key[: -len("_spread")]
        lo, hi = row.get(f"{m}_lo"), row.get(f"{m}_hi")
        return "-" if lo is None or (isinstance(lo, float) and math.isnan(lo)) \
            else f"{_fmt(lo)} to {_fmt(hi)}"
    return _fmt(row.get(key))


def _csv(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else "inf"
    if isinstance(x, list):
        return "; ".join(map(str, x))
    return x


def plain(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


def _numbers(x):
    if x in ("inf", "-inf", "nan"):
        return float(x)
    if isinstance(x, dict):
        return {k: _numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_numbers(v) for v in x]
    return x


def load_ablation(path: str | os.PathLike) -> GraphAblationResult:
    """A kept ablation: its folder (``NAME.runs/ablation-<id>``) or its results.json."""
    p = pathlib.Path(path)
    f = p / RESULTS if p.is_dir() else p
    try:
        doc = json.loads(f.read_text())
    except (OSError, ValueError) as exc:
        raise GraphError("cannot read the ablation's results", port="path", found=str(f),
                         hint=str(exc)[:200]) from None
    if not isinstance(doc, dict) or doc.get("format") != "diffwire-ablation/1":
        raise GraphError("not an ablation results file", port="path",
                         expected="diffwire-ablation/1", found=str(f))
    return GraphAblationResult(_numbers(doc["rows"]), doc["variants"], _numbers(doc["meta"]),
                               f.parent)


def ablations(root: str | os.PathLike) -> list[dict]:
    """The ablations kept in a runs folder (or beside a ``.diffwire``), oldest first:
    id, path, terms, seeds, variants and when it was saved."""
    p = pathlib.Path(root)
    if p.suffix == ".diffwire":
        p = p.with_name(p.stem + ".runs")
    if not p.is_dir():
        return []
    out = []
    for d in sorted(p.glob(f"{PREFIX}*")):
        try:
            meta = json.loads((d / RESULTS).read_text()).get("meta", {})
        except (OSError, ValueError, AttributeError):
            continue
        out.append({"id": d.name, "path": str(d), "terms": meta.get("terms"),
                    "seeds": meta.get("seeds"), "started": meta.get("started")})
    return out
