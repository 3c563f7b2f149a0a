"""An ensemble of 32 Lotka-Volterra UDEs trained as one batched model vs one UDE, same
steps, same run. Target: 32 members in at most 3x the time of one.

Both arms are ``dw.train`` of the demo document's graph (built-in RK4, dt 0.1, the
2-5-5-5-2 rbf network, 31 points) with Adam for `--steps` steps (LBFGS phases run member
by member by design, so they are left out of this figure), alternating which arm goes
first, `--repeats` pairs; the ratio of training time (the run's running seconds, what
``steps_per_s`` is measured over) is reported as the median of the pairs, and the time
including building the members as context. `--vary lr` gives each member its own
learning rate too (members then sit in 32 optimizer groups instead of one).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))

import torch  # noqa: E402

import diffwire as dw  # noqa: E402

DOC = pathlib.Path(__file__).resolve().parents[1] / "demos" / "lotka_volterra_ude.diffwire"


def arm(g: dw.Graph, steps: int, ensemble, dtype: str) -> tuple[float, float, object]:
    """(training seconds, seconds including the build, run) of one run."""
    if dtype == "float64":
        torch.set_default_dtype(torch.float64)
        for name in ("y0", "t"):
            g.node(name).params["dtype"] = "float64"
    t0 = time.perf_counter()
    try:
        run = dw.train(g, data_root=DOC.parent, steps=steps,
                       schedule=[{"optimizer": ("adam", {"lr": 0.05}), "steps": steps}],
                       background=False, out=False, progress=False, ensemble=ensemble)
    finally:
        torch.set_default_dtype(torch.float32)
    total = time.perf_counter() - t0
    assert run.state == "finished", run.reason
    return run.rec.timing.active_s, total, run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--members", type=int, default=32)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--vary", choices=("seed", "lr"), default="seed")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = ap.parse_args()
    n = args.members
    spec = dict(seeds=n)
    if args.vary == "lr":
        spec["lr"] = [0.01 * 10 ** (k / max(1, n - 1)) for k in range(n)]  # 0.01 .. 0.1
    for ens in (None, dw.Ensemble(**spec)):  # imports and first calls out of the figures
        arm(dw.load(DOC), 2, ens, args.dtype)
    ratios, totals, rows = [], [], []
    for rep in range(args.repeats):
        pair = {}
        for which in (("one", "many") if rep % 2 == 0 else ("many", "one")):
            ens = dw.Ensemble(**spec) if which == "many" else None
            pair[which] = arm(dw.load(DOC), args.steps, ens, args.dtype)
        (t1, b1, r1), (tn, bn, rn) = pair["one"], pair["many"]
        assert rn.batched, rn.fallback
        ratios.append(tn / t1)
        totals.append(bn / b1)
        rows.append((t1, tn, b1, bn))
        print(f"pair {rep}: one {t1:.2f} s ({args.steps / t1:.1f} steps/s), {n} members "
              f"{tn:.2f} s: ratio {tn / t1:.2f} (with the build: {b1:.2f} vs {bn:.2f} s, "
              f"{bn / b1:.2f}); threads {r1.rec.threads['intra_op']} / {rn.rec.threads['intra_op']}",
              flush=True)
    t1 = statistics.median(r[0] for r in rows)
    tn = statistics.median(r[1] for r in rows)
    print(f"\n{n} members ({args.vary}s differ, {args.dtype}) vs 1, {args.steps} Adam steps, "
          f"median of {args.repeats} pairs: training time ratio {statistics.median(ratios):.2f} "
          f"(one {t1:.2f} s, {n} members {tn:.2f} s; per member {tn / n / t1:.3f}x of one); "
          f"with the build {statistics.median(totals):.2f}; target <= 3.0; "
          f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
