"""The sweep's parallel-coordinates figure: hyperparameters against final and best loss.

Parcoords axes are linear, so a quantity that spans more than a decade (a learning rate
drawn log-uniformly, losses) is drawn as its log10 with ticks labelled in the original
values; values that are not numbers (an optimizer kind, a widths list) become evenly
spaced categories named on their axis. Failed trials have no loss and are left out (the
title counts them).
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=14, color="#1f2933")


def parallel_coordinates(result, metric: str = "best_loss") -> go.Figure:
    """The figure for a :class:`~diffwire.sweep.SweepResult`; lines coloured by `metric`
    (``"best_loss"`` or ``"loss"``)."""
    rows = [r for r in result.finished if _finite(r[metric])]
    dims = [_dimension(name, [r["values"][name] for r in rows],
                       log=_is_log(result.space.get(name))) for name in result.names]
    dims += [_dimension(label, [r[key] for r in rows], log=True)
             for key, label in (("loss", "final loss"), ("best_loss", "best loss"))]
    colour = [math.log10(r[metric]) if r[metric] > 0 else r[metric] for r in rows]
    left = len(result.rows) - len(rows)
    title = (f"Sweep {result.id}: {len(rows)} trials"
             + (f" ({left} failed, not drawn)" if left else ""))
    fig = go.Figure(go.Parcoords(
        dimensions=dims,
        line=dict(color=colour, colorscale="Viridis", reversescale=True, showscale=True,
                  colorbar=dict(title=dict(text=f"log10 {metric.replace('_', ' ')}",
                                           side="right"), thickness=14)),
        labelfont=dict(size=15), tickfont=dict(size=12), rangefont=dict(size=11),
        labelangle=0, labelside="top"))
    fig.update_layout(template="plotly_white", font=FONT, title=dict(text=title, x=0.02),
                      margin=dict(l=70, r=60, t=110, b=40), height=460,
                      width=max(640, 170 * len(dims)))
    return fig


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _is_log(value) -> bool:
    return isinstance(value, dict) and "log_uniform" in value


def _dimension(label: str, values: list, log: bool = False) -> dict:
    """One axis: numbers as they are (log10 when `log` or spanning two decades and more, if
    positive), anything else as named categories."""
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numeric and values:
        lo, hi = min(values), max(values)
        if lo > 0 and hi > lo and (log and hi / lo > 3 or hi / lo >= 100):
            logs = [math.log10(v) for v in values]
            ticks = _log_ticks(lo, hi)
            return dict(label=f"{label} (log)", values=logs, range=[min(logs), max(logs)],
                        tickvals=[math.log10(t) for t in ticks[1:-1]] + [min(logs), max(logs)],
                        ticktext=[f"{t:g}" for t in [*ticks[1:-1], ticks[0], ticks[-1]]])
        return dict(label=label, values=values)
    cats = []
    for v in values:
        if str(v) not in cats:
            cats.append(str(v))
    return dict(label=label, values=[cats.index(str(v)) for v in values],
                tickvals=list(range(len(cats))), ticktext=cats,
                range=[-0.3, max(len(cats) - 1, 0) + 0.3])


def _log_ticks(lo: float, hi: float) -> list[float]:
    """The ends (Parcoords draws an axis from its first tick to its last) and the 1-2-5
    values between them (just the 1s past three decades) not crowding an end."""
    steps = (1,) if hi / lo > 1000 else (1, 2, 5)
    span = math.log10(hi / lo)
    ticks = [m * 10.0 ** k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
             for m in steps]
    inside = [t for t in ticks if min(math.log10(t / lo), math.log10(hi / t)) > 0.08 * span]
    return [float(f"{lo:.3g}"), *inside, float(f"{hi:.3g}")]
