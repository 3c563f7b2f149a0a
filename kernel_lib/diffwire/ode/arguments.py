"""The checks of an ablation's arguments (seeds, budget, data fractions), shared by the
spec experiment here and the graph ablation of diffwire.train.ablation: an out-of-range
value is a GraphError naming the argument before any job starts."""

from __future__ import annotations

from ..errors import GraphError

MAX_SEEDS = 100
MAX_STEPS = 100_000


def check_seeds(seeds) -> list[int]:
    """The seeds to run: a count n (seeds 0..n-1) or a list of distinct seeds."""
    if isinstance(seeds, bool):
        seeds = None
    if isinstance(seeds, int):
        if not 1 <= seeds <= MAX_SEEDS:
            raise GraphError("seeds out of range", port="seeds",
                             expected=f"1 to {MAX_SEEDS} seeds", found=seeds)
        return list(range(seeds))
    if isinstance(seeds, (list, tuple)) and seeds and all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**31 for s in seeds):
        if len(seeds) > MAX_SEEDS or len(set(seeds)) != len(seeds):
            raise GraphError("seeds repeat or are too many", port="seeds",
                             expected=f"at most {MAX_SEEDS} distinct seeds", found=len(seeds))
        return list(seeds)
    raise GraphError("seeds is a count or a list of seeds", port="seeds",
                     expected=f"an int 1-{MAX_SEEDS} or a list of ints 0 to 2^31-1",
                     found=repr(seeds)[:80])


def check_budget(budget, lr: float = 0.05) -> dict:
    """``{"adam", "lr", "lbfgs"}`` from a step count or a partial dict (`lr`: the rate
    when none is given)."""
    if isinstance(budget, int) and not isinstance(budget, bool):
        budget = {"adam": budget}
    if not isinstance(budget, dict):
        raise GraphError("budget is a step count or {adam, lr, lbfgs}", port="budget",
                         found=repr(budget)[:80])
    unknown = set(budget) - {"adam", "lr", "lbfgs"}
    if unknown:
        raise GraphError("unknown budget key", port=f"budget.{sorted(unknown)[0]}",
                         expected=["adam", "lr", "lbfgs"], found=sorted(unknown))
    out = {"adam": budget.get("adam", 100), "lr": budget.get("lr", lr),
           "lbfgs": budget.get("lbfgs", 0)}
    for key, lo in (("adam", 1), ("lbfgs", 0)):
        v = out[key]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= MAX_STEPS:
            raise GraphError(f"budget {key} steps out of range", port=f"budget.{key}",
                             expected=f"an int {lo} to {MAX_STEPS}", found=v)
    rate = out["lr"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 10:
        raise GraphError("budget lr (the learning rate) out of range", port="budget.lr",
                         expected="a number in (0, 10]", found=rate)
    out["lr"] = float(rate)
    return out


def check_fractions(fractions) -> list[float]:
    """Fractions of the training points, each in (0, 1]."""
    try:
        fr = [float(f) for f in fractions]
    except (TypeError, ValueError):
        raise GraphError("fractions is a list of numbers", port="fractions",
                         found=repr(fractions)[:80]) from None
    if not fr or any(not 0 < f <= 1 for f in fr):
        raise GraphError("data fractions out of range", port="fractions",
                         expected="numbers in (0, 1]", found=fr)
    return fr
