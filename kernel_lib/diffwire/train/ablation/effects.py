"""How much each known term matters: the error with a term supplied over the error without
it, paired over everything else.

For a term T, every subset S of the other varied terms gives a pair of variants, S and
S + T, trained with the same seed on the same data; their error ratio is what supplying T
did there. The median over the pairs is the term's effect for that seed; the median and
the range over seeds say how sure that is. A ratio below 1 means the term helps (0.1: ten
times less error). A diverged variant counts as an infinite error, so a term that turns
a blow-up into a finite fit has ratio 0 for that pair and the opposite case inf: medians
keep such pairs from dominating.
"""

from __future__ import annotations

import math
import statistics


def term_effects(result, metric: str = "extrap10x_rmse", fraction: float | None = None) -> list[dict]:
    """One row per varied term, most helpful first: ``term``, ``ratio`` (median over seeds
    of the median paired ratio), ``lo``/``hi`` (its range over seeds), ``pairs`` (per seed).

    **Arguments:**

    - `result`: a graph ablation's result (``dw.ablate`` or ``dw.load_ablation``).
    - `metric`: a row's error (``interp_rmse``, ``extrap2x_rmse``, ``extrap10x_rmse``,
      ``train_loss``).
    - `fraction`: the data fraction compared at (default: the largest).
    """
    rows = [r for r in result.rows if r["kind"] == "ude"]
    if not rows:
        return []
    if fraction is None:
        fraction = max(r["fraction"] for r in rows)
    rows = [r for r in rows if r["fraction"] == fraction]
    varied = list(result.meta.get("terms") or sorted({t for r in rows for t in r["terms"]}))
    cell = {(frozenset(r["terms"]), r["seed"]): _error(r, metric) for r in rows}
    seeds = sorted({r["seed"] for r in rows})
    out = []
    for term in varied:
        per_seed = []
        for s in seeds:
            ratios = [_ratio(cell[(with_, s)], cell[(key, s)])
                      for key, seed in cell if seed == s and term not in key
                      for with_ in [key | {term}] if (with_, s) in cell]
            if ratios:
                per_seed.append(statistics.median(ratios))
        if per_seed:
            out.append({"term": term.rsplit("/", 1)[-1], "path": term, "metric": metric,
                        "fraction": fraction, "ratio": statistics.median(per_seed),
                        "lo": min(per_seed), "hi": max(per_seed), "seeds": len(per_seed),
                        "pairs": len(ratios)})
    return sorted(out, key=lambda r: r["ratio"])


def _error(row: dict, metric: str) -> float:
    v = row.get(metric)
    if row.get("failure") or not isinstance(v, (int, float)) or math.isnan(v):
        return math.inf
    return float(v)


def _ratio(with_: float, without: float) -> float:
    if with_ == without:
        return 1.0
    if without == 0 or math.isinf(with_):
        return math.inf
    return with_ / without


def effects_figure(effects: dict[str, list[dict]], title: str = "what supplying each term "
                   "does to the error"):
    """Bars of each term's ratio (log scale) with the range over seeds, one group per
    entry of `effects` (label -> ``term_effects`` rows)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for label, rows in effects.items():
        rows = sorted(rows, key=lambda r: r["term"])
        y = [_plot(r["ratio"]) for r in rows]
        fig.add_bar(name=label, x=[r["term"] for r in rows], y=y,
                    error_y={"type": "data", "symmetric": False,
                             "array": [_plot(r["hi"]) - v for r, v in zip(rows, y)],
                             "arrayminus": [v - _plot(r["lo"]) for r, v in zip(rows, y)]})
    # on a log axis a line's y is in data units but its annotation's is not: no annotation
    fig.add_hline(y=1.0, line_dash="dot")
    fig.update_layout(barmode="group", yaxis_type="log",
                      title=f"{title} (dotted: no effect; a blow-up drawn at 1e4)",
                      yaxis_title="error with the term / without (median over seeds)",
                      xaxis_title="supplied term")
    return fig


def _plot(x: float) -> float:
    """Ratios drawn on a log axis: 0 and inf clipped to 1e-4 and 1e4."""
    return min(max(x, 1e-4), 1e4)
