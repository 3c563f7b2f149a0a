"""Runs started from the editor are kept (``NAME.runs`` beside its file, or its `out`), and
the steps/s it shows leaves out the time a run sat paused."""

import time

import torch

import diffwire as dw

from helpers import quickstart
from train_util import wait_for


def options(steps=100_000):
    X = torch.linspace(-1, 1, 64)[:, None]
    return dict(data={"x": X, "y": torch.sin(3 * X)}, loss="mse",
                optimizer=("adam", {"lr": 1e-2}), steps=steps)


def test_editor_runs_are_kept_beside_its_file_or_in_out(tmp_path):
    path = quickstart().save(tmp_path / "m.diffwire")
    ed = dw.Editor(path, train_options=options(steps=20))
    run = ed.train()
    run.wait(timeout=60)
    assert run.state == "finished" and run.path.parent == tmp_path / "m.runs"
    assert [r["id"] for r in dw.runs(path)] == [run.path.name]
    ed2 = dw.Editor(quickstart(), out=tmp_path / "elsewhere", train_options=options(steps=5))
    run2 = ed2.train()
    run2.wait(timeout=60)
    assert run2.path.parent == tmp_path / "elsewhere"
    assert dw.Editor(quickstart()).runs_folder is None  # no file, no out: kept in memory


def test_editor_steps_per_second_leaves_out_pauses():
    ed = dw.Editor(quickstart(), train_options=options())
    ed.train()
    run = ed.control.run
    assert wait_for(lambda: ed.status.get("steps_per_s", 0) > 0 and run.step > 50, timeout=60)
    run.pause()
    paused_at = ed.status["step"]
    time.sleep(3.0)
    run.resume()
    assert wait_for(lambda: ed.status["step"] > paused_at + 5, timeout=60)
    shown = ed.status["steps_per_s"]
    run.stop()
    # The first status after the pause spans it: on the wall clock it would read about
    # (steps in 0.25 s) / 3.25 s, a tenth of the running rate.
    assert shown > 0.3 * run.steps_per_s, (shown, run.steps_per_s)
