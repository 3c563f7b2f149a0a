"""Runs the reduced structure ablation of the SIR and pendulum documents in demos/ and keeps
each result (results.json, results.csv: the format of diffwire.train.ablation) in
demos/ablations/<document>/, where ``dw.load_ablation`` reads it back.

``nice -n 5 python tools/ablate_environments.py [sir|pendulum ...]``: 3 seeds, every subset
of the marked terms plus the black box and the wrong term, a modest budget (Adam, then
LBFGS), extrapolation measured at 2x and 10x the training span against the truth."""

from __future__ import annotations

import pathlib
import shutil
import sys
import tempfile

import diffwire as dw

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"
#: name -> (document, budget): the pendulum's field is costlier per step (50 RK4 steps)
RUNS = {
    "sir": ("sir_ude_ablation.diffwire", {"adam": 150, "lr": 0.01, "lbfgs": 20}),
    "pendulum": ("pendulum_ude_ablation.diffwire", {"adam": 60, "lr": 0.01, "lbfgs": 10}),
}


def run(name: str, seeds: int = 3, workers: int = 2) -> pathlib.Path:
    doc, budget = RUNS[name]
    g = dw.load(DEMOS / doc)
    result = dw.ablate(g, seeds=seeds, budget=budget, horizons=(2, 10), backend="local",
                       workers=workers, save=False)
    dest = DEMOS / "ablations" / pathlib.Path(doc).stem
    with tempfile.TemporaryDirectory() as tmp:
        kept = result.save(tmp)
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(kept, dest)
    print(f"{name}: {len(result.rows)} runs in {result.meta['wall_s']:.0f} s -> {dest}")
    print(result.to_markdown())
    return dest


if __name__ == "__main__":
    for n in sys.argv[1:] or list(RUNS):
        run(n)
