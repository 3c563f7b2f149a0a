"""Markers on the loss plot (issue 14, point 4): the kernel tells the plot where a run's
learning rate changed, where it was rebuilt, paused or switched optimizer phase, as it
happens and again with the whole-run history a reopened view asks for."""

import torch

import diffwire as dw
from diffwire.widget.live import markers_of

from helpers import EventRecorder, quickstart
from train_util import wait_for


def options(**kw):
    X = torch.linspace(-1, 1, 64)[:, None]
    kw.setdefault("optimizer", None if "schedule" in kw else ("adam", {"lr": 1e-2}))
    return dict(data={"x": X, "y": torch.sin(3 * X)}, loss="mse", **kw)


def kinds(events):
    return [(m["kind"], m["label"]) for e in events for m in e["markers"]]


def test_lr_change_pause_and_rebuild_are_marked_live_and_in_the_history():
    ed = dw.Editor(quickstart(), train_options=options(steps=100_000))
    rec = EventRecorder(ed)
    ed.train()
    run = ed.control.run
    assert wait_for(lambda: run.step > 20, timeout=60)
    ed.control.set("lr", 0.005)
    assert wait_for(lambda: ("lr", "lr 0.005") in kinds(rec.of("markers")), timeout=60)
    run.pause(wait=True)
    assert wait_for(lambda: ("pause", "pause") in kinds(rec.of("markers")), timeout=30)
    run.resume()
    ed.graph.node("mlp").params["widths"] = [1, 16, 1]
    ed.control.rebuild()
    assert wait_for(lambda: ("rebuild", "rebuild") in kinds(rec.of("markers")), timeout=60)
    steps = {m["kind"]: m["step"] for e in rec.of("markers") for m in e["markers"]}
    assert 20 < steps["lr"] <= steps["pause"] <= steps["rebuild"]
    # a view opened now gets them with the whole run
    ed.control.history({"req": 0, "points": 100})
    whole = rec.of("history")[-1]
    assert [m["kind"] for m in whole["markers"]] == ["lr", "pause", "rebuild"]
    run.stop(wait=True)


def test_phase_switches_are_marked_and_the_first_phase_is_not():
    run = dw.train(quickstart(), **options(schedule=[
        {"optimizer": ("adam", {"lr": 1e-2}), "steps": 5},
        {"optimizer": ("sgd", {"lr": 1e-3}), "steps": 5}]), progress=False, background=False)
    assert run.state == "finished"
    assert markers_of(run.events) == [{"step": 5, "kind": "phase", "label": "phase 2: sgd"}]
