"""Demo 03 over network seeds: train the LV UDE in the notebook's default setting, recover
the interaction terms, fine-tune and extrapolate to t = 50; one row per seed into
demos/lv_ude_seeds.json (merged with the rows already there, so seeds can run in separate
processes). Run from the repository root:

    python tools/lv_ude_seeds.py --seeds 0,1,2,3,4,5,6,7 [--lbfgs 100] [--cache DIR]

`--cache DIR` keeps each trained network's weights there and reuses them on a rerun (training
is deterministic for a seed, so the weights are the same as a fresh run's). `--out FILE` merges
into another table (processes running side by side each keep their own; merge them after).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "kernel_lib"))

import torch  # noqa: E402

import diffwire as dw  # noqa: E402

XY = {0: 1, 1: 1}
OUT = ROOT / "demos" / "lv_ude_seeds.json"


def bindings(t, y, y0):
    fixed = lambda name, v: {"source": "kernel", "name": name, "value": v, "batch": False}  # noqa: E731
    return {"y0": fixed("y0", y0), "t": fixed("t", t), "y": y}


def one_seed(seed: int, lbfgs: int, cache: pathlib.Path | None) -> dict:
    data = dw.ode.lotka_volterra()
    t, y, y0, _ = data
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    start = time.perf_counter()
    weights = cache / f"lv_l{lbfgs}_s{seed}.pt" if cache else None
    if weights is not None and weights.exists():
        model = g.compile(seed=seed)
        model.load_state_dict(torch.load(weights, weights_only=True))
        with torch.no_grad():
            loss = float(((model(y0=y0, t=t) - y) ** 2).mean())
    else:
        run = dw.train(g, data=bindings(t, y, y0), loss="mse", seed=seed, background=False,
                       progress=False,
                       schedule=[{"optimizer": ("adam", {"lr": 0.1}), "steps": 200},
                                 {"optimizer": ("lbfgs", {"lr": 1.0}), "steps": lbfgs}])
        model, loss = run.model, run.history[-1]["loss"]
        if weights is not None:
            torch.save(model.state_dict(), weights)
    train_s = time.perf_counter() - start
    rec = dw.recover(model, node="U", data={"y0": y0, "t": t, "y": y})
    beta, gamma = -rec.coefficient(0, XY), rec.coefficient(1, XY)
    j = rec.index(XY)
    g2 = dw.replace_with_expression(g, rec, node="U")
    run2 = dw.train(g2, data=bindings(t, y, y0), loss="mse", seed=seed, background=False,
                    progress=False, schedule=[{"optimizer": ("lbfgs", {"lr": 1.0}), "steps": 10}])
    long_t = torch.linspace(0, 50, 1001)
    try:
        with torch.no_grad():
            pred = run2.model(y0=y0, t=long_t)
        truth = data.truth(long_t)
        rel = float((pred - truth).norm() / truth.norm())
    except dw.GraphError:
        rel = float("inf")
    return {"seed": seed, "lbfgs_steps": lbfgs, "loss": loss, "train_s": round(train_s, 1),
            "equation": rec.text, "terms": int((rec.coefficients != 0).sum()),
            "beta": beta, "gamma": gamma,
            "beta_err": abs(beta - 0.9) / 0.9, "gamma_err": abs(gamma - 0.8) / 0.8,
            "inclusion": [float(rec.inclusion[0, j]), float(rec.inclusion[1, j])],
            "ci_beta": sorted(-float(v) for v in rec.ci[0, j]),
            "ci_gamma": [float(v) for v in rec.ci[1, j]],
            "uncertain": rec.uncertain, "confident": rec.confident,
            "fit_equation_network": list(rec.fit) if rec.fit else None,
            "rel_err_t50": rel}


def merge(row: dict, out: pathlib.Path = OUT) -> None:
    rows = json.loads(out.read_text()) if out.exists() else []
    rows = [r for r in rows if not (r["seed"] == row["seed"]
                                    and r["lbfgs_steps"] == row["lbfgs_steps"])] + [row]
    rows.sort(key=lambda r: (r["lbfgs_steps"], r["seed"]))
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".json")  # atomic: a reader never
    with os.fdopen(fd, "w") as f:                                 # sees half a file
        json.dump(rows, f, indent=1)
    os.replace(tmp, out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2,3,4,5,6,7")
    ap.add_argument("--lbfgs", type=int, default=100)
    ap.add_argument("--cache", type=pathlib.Path, default=None)
    ap.add_argument("--out", type=pathlib.Path, default=OUT,
                    help="the table to merge rows into (one per process when several run)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for seed in (int(s) for s in args.seeds.split(",")):
        row = one_seed(seed, args.lbfgs, args.cache)
        merge(row, args.out)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
