"""The ablation's results: raw rows, a per-variant summary table, and plotly figures."""

from __future__ import annotations

import math
import statistics

COLUMNS = (
    ("variant", "variant"), ("fraction", "data"), ("n", "seeds"),
    ("train_loss", "train loss"), ("interp_rmse", "interp RMSE"),
    ("extrap2x_rmse", "extrap 2x RMSE"), ("extrap10x_rmse", "extrap 10x RMSE"),
    ("nfe", "NFE"), ("wall_s", "wall s"), ("failures", "failed"),
)
METRICS = ("train_loss", "interp_rmse", "extrap2x_rmse", "extrap10x_rmse", "nfe", "wall_s")


class AblationResult:
    """Rows of every job (`rows`) and their summary by variant and data fraction
    (`summary`: medians over seeds). No pandas needed: `to_markdown()` prints the table,
    `figures()` returns plotly figures."""

    def __init__(self, rows: list[dict], variants: list):
        self.rows = rows
        self.variants = [v.name for v in variants]
        self.summary = _summarise(rows, self.variants)

    def __repr__(self) -> str:
        return f"AblationResult({len(self.variants)} variants, {len(self.rows)} runs)"

    def __len__(self) -> int:
        return len(self.summary)

    def to_markdown(self) -> str:
        """The summary as a Markdown table (medians over seeds)."""
        head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
        rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
        lines = [head, rule]
        for row in self.summary:
            lines.append("| " + " | ".join(_fmt(row.get(key)) for key, _ in COLUMNS) + " |")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def best(self, metric: str = "extrap10x_rmse") -> dict:
        """The summary row with the lowest median `metric`."""
        return min(self.summary, key=lambda r: _key(r[metric]))

    def figures(self) -> dict:
        """Plotly figures: errors by variant (log scale) and error vs data fraction."""
        import plotly.graph_objects as go

        full = [r for r in self.summary if r["fraction"] == max(x["fraction"] for x in self.summary)]
        bars = go.Figure()
        for metric, label in (("interp_rmse", "interpolation"), ("extrap2x_rmse", "extrap 2x"),
                              ("extrap10x_rmse", "extrap 10x")):
            bars.add_bar(name=label, x=[r["variant"] for r in full],
                         y=[_plottable(r[metric]) for r in full])
        bars.update_layout(barmode="group", yaxis_type="log", title="error by supplied structure",
                           yaxis_title="RMSE vs truth (median over seeds)")
        lines = go.Figure()
        for name in self.variants:
            pts = sorted((r["fraction"], r["interp_rmse"]) for r in self.summary if r["variant"] == name)
            lines.add_scatter(x=[p[0] for p in pts], y=[_plottable(p[1]) for p in pts],
                              mode="lines+markers", name=name)
        lines.update_layout(yaxis_type="log", title="interpolation error vs fraction of data",
                            xaxis_title="fraction of training points", yaxis_title="RMSE")
        return {"errors": bars, "data_fraction": lines}


def _summarise(rows, order):
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["variant"], r["fraction"]), []).append(r)
    out = []
    for name in order:
        for frac in sorted({f for v, f in groups if v == name}):
            g = groups[(name, frac)]
            row = {"variant": name, "fraction": frac, "n": len(g), "kind": g[0]["kind"],
                   "failures": sum(1 for r in g if r.get("failure"))}
            for m in METRICS:
                vals = [r[m] for r in g if r.get(m) is not None and not math.isnan(r[m])]
                row[m] = statistics.median(vals) if vals else math.nan
            out.append(row)
    return out


def _key(x):
    return math.inf if x is None or math.isnan(x) else x


def _plottable(x):
    return None if x is None or not math.isfinite(x) else x


def _fmt(x) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            return "-"
        if math.isinf(x):
            return "diverged"
        return f"{x:.3g}"
    return str(x)
