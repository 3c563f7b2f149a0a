"""term_effects: what supplying each term did to the error, paired over the subsets of the
other terms with the same seed, median over pairs, then median and range over seeds."""

from __future__ import annotations

import itertools
import math

import pytest

from diffwire.train.ablation import GraphAblationResult, effects_figure, term_effects

TERMS = ["f/a", "f/b", "f/c"]


def _result(error) -> GraphAblationResult:
    """Rows of every subset of TERMS for seeds 0-2 at two fractions; `error(subset, seed,
    fraction)` gives each row's extrapolation error."""
    rows, names = [], []
    for k in range(len(TERMS) + 1):
        for sub in itertools.combinations(TERMS, k):
            name = " + ".join(sub) or "none"
            names.append(name)
            for frac in (0.5, 1.0):
                for seed in range(3):
                    e = error(set(sub), seed, frac)
                    rows.append({"variant": name, "kind": "ude", "terms": list(sub),
                                 "seed": seed, "fraction": frac, "train_loss": 1.0,
                                 "interp_rmse": 1.0, "extrap2x_rmse": e, "extrap10x_rmse": e,
                                 "nfe": 1, "wall_s": 0.1, "params": 1, "n_obs": 10,
                                 "failure": None if math.isfinite(e) else "blew up"})
    rows.append({**rows[0], "variant": "black box", "kind": "black_box", "terms": []})
    return GraphAblationResult(rows, [*names, "black box"], {"terms": TERMS})


def test_each_term_s_factor_is_recovered_with_its_spread_over_seeds():
    # a divides the error by 100, b by 2 (by 4 for seed 2), c does nothing
    def error(sub, seed, frac):
        return 1.0 / (100 if "f/a" in sub else 1) / ((4 if seed == 2 else 2) if "f/b" in sub
                                                       else 1)
    got = term_effects(_result(error), "extrap10x_rmse")
    assert [r["term"] for r in got] == ["a", "b", "c"]
    a, b, c = got
    assert a["ratio"] == pytest.approx(0.01) and a["lo"] == a["hi"] == pytest.approx(0.01)
    assert b["ratio"] == pytest.approx(0.5) and b["lo"] == pytest.approx(0.25)
    assert b["hi"] == pytest.approx(0.5) and b["seeds"] == 3 and b["pairs"] == 4
    assert c["ratio"] == 1.0


def test_a_blow_up_counts_as_infinite_error_and_fractions_are_apart():
    # without a, at half the data, every fit blows up; with it they are fine
    def error(sub, seed, frac):
        return 0.1 if "f/a" in sub else (math.inf if frac == 0.5 else 1.0)
    half = {r["term"]: r for r in term_effects(_result(error), "extrap2x_rmse", 0.5)}
    full = {r["term"]: r for r in term_effects(_result(error), "extrap2x_rmse", 1.0)}
    assert half["a"]["ratio"] == 0.0 and full["a"]["ratio"] == pytest.approx(0.1)
    assert half["b"]["ratio"] == 1.0  # inf over inf: no effect
    fig = effects_figure({"2x": list(full.values()), "2x half": list(half.values())})
    assert len(fig.data) == 2 and fig.layout.yaxis.type == "log"
    assert min(fig.data[1].y) == 1e-4  # the 0 ratio drawn at the axis floor
