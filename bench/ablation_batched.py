"""The full Lotka-Volterra structure ablation with the batched backend vs one process per
variant, side by side in one run. Target: batched at least 10x faster.

The experiment is ``demos/lotka_volterra_four_terms.diffwire``: every subset of its four
terms (16, the empty one being the pure neural ODE), the black box and the wrong term
(predation with its sign flipped): 18 variants x `--seeds` seeds x `--fractions`. Both
arms run ``dw.ablate`` on the same graph, seeds and budget: ``backend="batched"`` (this
process) and ``backend="local"`` (a spawned process per job, as many as the cores). The
process-per-variant arm at the notebook's budget (Adam 200 + LBFGS 100) takes most of an
hour on a shared 2-core machine, so by default both arms run `--budget` (a reduced one)
and the batched arm runs the full budget too; `--full-local` times the local arm at the
full budget as well. Prints the wall times, the ratio and how closely the two arms' rows
agree (they are the same arithmetic up to rounding).

Run under the bench lock: ``flock /tmp/dw-bench.lock nice -n 5 python bench/ablation_batched.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))

import diffwire as dw  # noqa: E402
from diffwire.document import atomic_write_text  # noqa: E402

DOC = pathlib.Path(__file__).resolve().parents[1] / "demos" / "lotka_volterra_four_terms.diffwire"
FULL = {"adam": 200, "lr": 0.1, "lbfgs": 100}


def arm(backend: str, budget: dict, seeds: int, fractions, workers) -> tuple[float, object]:
    g = dw.load(DOC)
    t0 = time.perf_counter()
    r = dw.ablate(g, seeds=seeds, budget=budget, fractions=fractions, backend=backend,
                  wrong={"predation": None}, document=DOC, save=False, workers=workers)
    return time.perf_counter() - t0, r


def agreement(a, b) -> dict:
    """Largest relative difference per metric between two arms' rows (same jobs)."""
    out = {}
    for x, y in zip(a.rows, b.rows):
        assert (x["variant"], x["seed"], x["fraction"]) == (y["variant"], y["seed"], y["fraction"])
        for k in ("train_loss", "interp_rmse", "extrap2x_rmse", "extrap10x_rmse"):
            u, v = x[k], y[k]
            if u == v or not (math.isfinite(u) and math.isfinite(v)):
                d = 0.0 if u == v else math.inf
            else:
                d = abs(u - v) / max(abs(v), 1e-300)
            out[k] = max(out.get(k, 0.0), d)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    ap.add_argument("--budget", type=json.loads, default={"adam": 20, "lr": 0.1, "lbfgs": 10},
                    help="the reduced budget both arms run (JSON)")
    ap.add_argument("--full-local", action="store_true",
                    help="also time the process-per-variant arm at the full budget")
    ap.add_argument("--no-full", action="store_true", help="skip the full-budget arm(s)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--json", type=pathlib.Path, default=None, help="write the figures here")
    ap.add_argument("--keep", type=pathlib.Path, default=None,
                    help="write the full-budget batched result here (results JSON; a CSV "
                         "of its summary beside it): demo 04's kept result")
    args = ap.parse_args()
    jobs = 18 * args.seeds * len(args.fractions)
    print(f"{jobs} jobs: 18 variants x {args.seeds} seeds x {len(args.fractions)} fractions",
          flush=True)
    arm("batched", {"adam": 1}, 1, [1.0], args.workers)  # imports and first calls out
    figures = {"jobs": jobs, "reduced_budget": args.budget, "full_budget": FULL}
    # the reduced budget, both arms; the order alternates nothing: one pair, local second
    tb, rb = arm("batched", args.budget, args.seeds, args.fractions, args.workers)
    print(f"reduced budget {args.budget}: batched {tb:.1f} s", flush=True)
    tl, rl = arm("local", args.budget, args.seeds, args.fractions, args.workers)
    print(f"reduced budget {args.budget}: process per variant {tl:.1f} s: "
          f"ratio {tl / tb:.1f}x", flush=True)
    figures["reduced"] = {"batched_s": tb, "local_s": tl, "ratio": tl / tb,
                          "agreement": agreement(rb, rl),
                          "groups": rb.meta["batched"]["groups"]}
    print("  largest relative difference between the arms' rows:",
          {k: f"{v:.1e}" for k, v in figures["reduced"]["agreement"].items()}, flush=True)
    if args.no_full:
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1))
        return
    tf, rf = arm("batched", FULL, args.seeds, args.fractions, args.workers)
    print(f"full budget {FULL}: batched {tf:.1f} s", flush=True)
    figures["full"] = {"batched_s": tf, "groups": rf.meta["batched"]["groups"],
                       "failures": sum(1 for r in rf.rows if r["failure"])}
    if args.keep:
        atomic_write_text(args.keep, json.dumps(rf.to_json(), indent=1, sort_keys=True))
        atomic_write_text(args.keep.with_suffix(".csv"), rf.to_csv())
        print("kept the full-budget result in", args.keep, flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.full_local:
        tfl, rfl = arm("local", FULL, args.seeds, args.fractions, args.workers)
        figures["full"].update(local_s=tfl, ratio=tfl / tf, agreement=agreement(rf, rfl))
        print(f"full budget: process per variant {tfl:.1f} s: ratio {tfl / tf:.1f}x",
              flush=True)
    per_job = statistics.median(r["wall_s"] for r in rl.rows)
    print(f"process per variant, median job time (reduced budget): {per_job:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
