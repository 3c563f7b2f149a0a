"""The run store: every run keeps a folder (metrics, weights, graph, events, checkpoints),
runs never overwrite each other, forks and resumptions name their parent, retention keeps
the last K and the best, and failures to write pause the run with a clear reason."""

import csv
import json
import shutil
import threading
import time

import pytest
import torch

import diffwire as dw
from diffwire.train.store import StoreError, keep_checkpoints

from train_util import sine_data, two_mlp_graph, wait_for


def quick(**kw):
    base = dict(data=sine_data(), steps=30, progress=False, background=False)
    return dw.train(two_mlp_graph(), **{**base, **kw})


def test_a_run_keeps_its_folder_and_loads_back(tmp_path):
    run = quick(out=tmp_path / "m.runs", checkpoint_every=10, seed=4)
    d = run.path
    assert d.parent == tmp_path / "m.runs" and run.state == "finished"
    names = {p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file()}
    assert {"run.json", "events.json", "model.diffwire", "graphs/step_0000000.diffwire",
            "metrics.csv", "weights.pt", "checkpoints/step_0000010.pt",
            "checkpoints/step_0000030.pt"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    chunks = sorted(n for n in names if n.startswith("metrics/"))
    assert chunks and all(n.endswith(".jsonl") for n in chunks)

    rec = json.loads((d / "run.json").read_text())
    assert rec["state"] == "finished" and rec["step"] == 30 and rec["seed"] == 4
    assert rec["device"] == "cpu" and rec["threads"]["intra_op"] >= 1
    assert rec["timing"]["active_s"] > 0 and rec["timing"]["ended"]
    assert rec["loss"] == run.loss and rec["parent"] is None
    assert dw.load(d / "model.diffwire").training["steps"] == 30  # graph + its training

    rows = list(csv.DictReader((d / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == list(range(30))
    assert [float(r["loss"]) for r in rows] == [r["loss"] for r in run.history]
    weights = torch.load(d / "weights.pt", weights_only=True)
    assert all(torch.equal(weights[k], v) for k, v in run.model.state_dict().items())

    (listed,) = dw.runs(tmp_path / "m.runs")
    assert listed["id"] == d.name and listed["state"] == "finished"
    assert listed["path"] == str(d)
    back = dw.load_run(d)
    assert len(back.history) == 30 and back.history[:] == run.history[:]
    assert back.history[-1] == run.history[-1] and back.history[5:7] == run.history[5:7]
    x = torch.linspace(-1, 1, 5)[:, None]
    assert torch.equal(back.model(x=x), run.model(x=x))
    assert back.weights_from == d / "weights.pt"


def test_a_document_s_runs_go_beside_it_and_never_overwrite_each_other(tmp_path):
    g = two_mlp_graph()
    dw.training_config(g, data={"x": {"source": "generator", "name": "sine"},
                                "y": {"source": "generator", "name": "sine"}}, steps=15)
    doc = g.save(tmp_path / "model.diffwire")
    runs = [dw.train(doc, progress=False, seed=s) for s in (0, 1, 2)]  # three at once
    for r in runs:
        r.wait(timeout=120)
    assert [r.state for r in runs] == ["finished"] * 3
    assert len({r.path for r in runs}) == 3
    assert all(r.path.parent == tmp_path / "model.runs" for r in runs)
    listed = dw.runs(doc)
    assert sorted(x["id"] for x in listed) == sorted(r.path.name for r in runs)
    for r in runs:  # each folder holds its own run, whole
        back = dw.load_run(r.path)
        assert [x["loss"] for x in back.history] == [x["loss"] for x in r.history]
        assert back.record["seed"] == r.config.seed


def test_events_record_lr_changes_rebuilds_phases_and_pauses(tmp_path):
    run = dw.train(two_mlp_graph(), data=sine_data(), steps=10**6, out=tmp_path,
                   progress=False, schedule=[{"optimizer": ("adam", {"lr": 1e-2}), "steps": 20},
                                             {"optimizer": ("sgd", {"lr": 1e-3})}])
    assert wait_for(lambda: run.step >= 25, timeout=60)
    run.pause()
    run.set(lr=5e-4)
    g = run.graph.copy()
    g.node("dec").params["widths"] = [8, 16, 1]
    report = run.rebuild(g)
    run.resume()
    assert wait_for(lambda: run.step >= report["step"] + 3, timeout=60)
    run.stop()
    events = json.loads((run.path / "events.json").read_text())
    kinds = [e["type"] for e in events]
    for k in ("phase", "pause", "set", "rebuild", "resume", "checkpoint"):
        assert k in kinds, (k, kinds)
    rebuild = next(e for e in events if e["type"] == "rebuild")
    assert rebuild["kept"] == ["enc"] and rebuild["reset"] == ["dec"]
    assert next(e for e in events if e["type"] == "set")["lr"] == 5e-4
    step = report["step"]
    rebuilt = dw.load(run.path / "graphs" / f"step_{step:07d}.diffwire")
    assert rebuilt.node("dec").params["widths"] == [8, 16, 1]
    assert dw.load(run.path / "graphs" / "step_0000000.diffwire").node("dec").params[
        "widths"] == [8, 8, 1]
    back = dw.load_run(run.path)
    assert back.model.blocks["dec"][0].out_features == 16  # final weights fit the rebuild


def test_steps_per_second_leaves_out_paused_time(tmp_path):
    run = dw.train(two_mlp_graph(), data=sine_data(), steps=10**6, out=tmp_path,
                   progress=False)
    assert wait_for(lambda: run.step >= 20, timeout=60)
    run.pause()
    time.sleep(1.5)
    run.resume()
    assert wait_for(lambda: run.step >= 60, timeout=60)
    run.stop()
    t = json.loads((run.path / "run.json").read_text())["timing"]
    assert t["paused_s"] >= 1.5
    assert t["steps_per_s"] == pytest.approx(run.step / t["active_s"], rel=1e-6)
    assert t["active_s"] + 1.4 < t["active_s"] + t["paused_s"]
    assert run.steps_per_s == pytest.approx(run.step / run.rec.timing.active_s, rel=1e-6)
    pauses = [e for e in dw.load_run(run.path).events if e["type"] in ("pause", "resume")]
    assert [e["type"] for e in pauses] == ["pause", "resume"]


def test_retention_keeps_the_last_k_and_the_best():
    kept = [{"step": s, "score": sc, "file": f"c{s}"} for s, sc in
            [(5, 0.9), (10, 0.2), (15, 0.5), (20, 0.3), (25, 0.4)]]
    assert [c["step"] for c in keep_checkpoints(kept, 2, True)] == [10, 20, 25]
    assert [c["step"] for c in keep_checkpoints(kept, 2, False)] == [20, 25]
    assert [c["step"] for c in keep_checkpoints(kept, 0, True)] == [5, 10, 15, 20, 25]
    assert [c["step"] for c in keep_checkpoints(kept, 3, True)] == [10, 15, 20, 25]


def test_checkpoints_are_pruned_in_a_run_and_fork_finds_what_is_kept(tmp_path):
    run = quick(out=tmp_path, steps=60, checkpoint_every=5, keep_checkpoints=2,
                val_split=0.25, eval_every=5)
    rec = json.loads((run.path / "run.json").read_text())
    on_disk = sorted(p.name for p in (run.path / "checkpoints").iterdir())
    listed = sorted(c["step"] for c in rec["checkpoints"])
    assert on_disk == [f"step_{s:07d}.pt" for s in listed]
    best = rec["best_checkpoint"]
    vals = {r["step"] + 1: r["val_loss"] for r in run.history if "val_loss" in r}
    assert best == min(vals, key=vals.get)  # the best validation loss among checkpoints
    assert set(listed) == {55, 60, best}
    pruned = [e for e in run.events if e["type"] == "checkpoints_pruned"]
    assert sum(len(e["steps"]) for e in pruned) == 12 - len(listed)
    with pytest.raises(StoreError, match="no kept checkpoint at step 15") as err:
        dw.train(two_mlp_graph(), data=sine_data(), fork=(run.path, 15), start=False)
    assert err.value.expected == listed
    fork = dw.train(two_mlp_graph(), data=sine_data(), steps=best + 3, progress=False,
                    fork=(run.path, best), background=False)
    assert fork.state == "finished" and fork.history[best - 1] == run.history[best - 1]


def test_a_fork_takes_the_checkpoint_s_weights_for_unchanged_nodes(tmp_path):
    parent = quick(out=tmp_path, steps=20, checkpoint_every=10)
    ck = torch.load(parent.path / "checkpoints" / "step_0000010.pt", weights_only=True)
    g = two_mlp_graph()
    g.node("dec").params["widths"] = [8, 12, 1]  # the graph as edited now
    fork = dw.train(g, data=sine_data(), steps=15, fork=(parent.path, 10), progress=False,
                    start=False)
    state = fork.model.state_dict()
    for k, v in ck["model"].items():
        if k.startswith("blocks.enc."):
            assert torch.equal(state[k], v)
    assert state["blocks.dec.0.weight"].shape == (12, 8)
    ev = next(e for e in fork.events if e["type"] == "fork")
    assert ev["kept"] == ["enc"] and ev["reset"] == ["dec"] and ev["optimizer"] == "fresh"
    fork.start(background=False)
    assert fork.state == "finished" and fork.path.parent == tmp_path  # beside its parent
    rec = json.loads((fork.path / "run.json").read_text())
    assert rec["parent"]["run"] == parent.path.name and rec["parent"]["step"] == 10
    assert rec["parent"]["kind"] == "fork"
    assert (fork.path / rec["parent"]["path"]).resolve() == parent.path.resolve()
    back = dw.load_run(fork.path)
    assert [r["step"] for r in back.history] == list(range(15))
    assert back.history[:10] == parent.history[:10]  # the parent's records up to the fork
    assert back.history[10:] == fork.history[10:]
    # an unchanged graph also takes the optimizer state: the curve goes on exactly
    same = dw.train(two_mlp_graph(), data=sine_data(), steps=20, fork=(parent.path, 10),
                    progress=False, background=False)
    assert [r["loss"] for r in same.history] == [r["loss"] for r in parent.history]


def test_a_fork_follows_the_lr_edited_on_the_optimizer_node(tmp_path):
    """The fork keeps the optimizer's state, but a learning rate changed on the Optimizer
    node since the checkpoint is the one it trains with (the graph as edited now)."""
    g = two_mlp_graph()
    opt = g.add("Optimizer", kind="adam", lr=0.01)
    opt = getattr(opt, "id", opt)
    parent = dw.train(g, data=sine_data(), optimizer=opt, steps=10, out=tmp_path,
                      progress=False, background=False)
    same = dw.train(g.copy(), data=sine_data(), optimizer=opt, steps=12,
                    fork=(parent.path, 10), progress=False, start=False)
    assert same.optimizer.param_groups[0]["lr"] == 0.01
    assert next(e for e in same.events if e["type"] == "fork")["edited"] == []
    edited = g.copy()
    edited.node(opt).params["lr"] = 0.003
    fork = dw.train(edited, data=sine_data(), optimizer=opt, steps=12,
                    fork=(parent.path, 10), progress=False, start=False)
    ev = next(e for e in fork.events if e["type"] == "fork")
    assert ev["optimizer"] == "kept" and ev["edited"] == ["lr"]
    assert fork.optimizer.param_groups[0]["lr"] == 0.003
    assert fork.optimizer.state  # Adam's moments came along
    fork.start(background=False)
    assert fork.history[-1]["lr"] == 0.003


def test_a_deleted_run_folder_pauses_the_run_with_a_clear_reason(tmp_path):
    earlier = quick(out=tmp_path, steps=5)
    run = dw.train(two_mlp_graph(), data=sine_data(), steps=10**6, out=tmp_path,
                   progress=False, flush_every=0.05)
    assert wait_for(lambda: run.step >= 10 and any(run.path.glob("metrics/*.jsonl")),
                    timeout=60)
    while run.path.exists():  # the run writes meanwhile: delete until it is gone
        shutil.rmtree(run.path, ignore_errors=True)
    assert wait_for(lambda: run.state == "paused", timeout=30), run.state
    assert "gone" in run.reason and str(run.path) in run.reason, run.reason
    assert any(e["type"] == "store_error" for e in run.events)
    held = run.step
    run.resume()  # writes the run again from here on
    assert wait_for(lambda: run.step >= held + 10, timeout=60)
    run.stop()
    assert run.state == "stopped"
    rec = json.loads((run.path / "run.json").read_text())
    assert rec["state"] == "stopped" and rec["lost_records"] > 0
    back = dw.load_run(earlier.path)  # the earlier run is intact
    assert len(back.history) == 5 and back.state == "finished"
    again = dw.load_run(run.path)
    assert len(again.history) == run.step and again.history[-1] == run.history[-1]
    with pytest.raises(StoreError, match="gone"):
        again.history[0]  # a record that was in the deleted folder: said so, not invented


def test_runs_lists_only_runs_and_load_run_refuses_other_folders(tmp_path):
    (tmp_path / "r" / "notarun").mkdir(parents=True)
    assert dw.runs(tmp_path / "r") == [] and dw.runs(tmp_path / "missing.diffwire") == []
    with pytest.raises(StoreError, match="not a run folder"):
        dw.load_run(tmp_path / "r" / "notarun")
    (tmp_path / "r" / "bad").mkdir()
    (tmp_path / "r" / "bad" / "run.json").write_text("{not json")
    (listed,) = dw.runs(tmp_path / "r")
    assert listed["state"] == "unreadable" and "cannot read" in listed["error"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        quick(out=tmp_path / "file", steps=1)


def test_concurrent_readers_see_a_consistent_history(tmp_path):
    run = dw.train(two_mlp_graph(), data=sine_data(), steps=600, out=tmp_path,
                   progress=False, flush_every=0.01)
    bad = []

    def read():
        while run.alive:
            n = len(run.history)
            rows = run.history[max(0, n - 50):n]
            if [r["step"] for r in rows] != list(range(max(0, n - 50), n)):
                bad.append((n, [r["step"] for r in rows][:3]))
            time.sleep(0.0005)

    t = threading.Thread(target=read)
    t.start()
    run.wait(timeout=300)
    t.join()
    assert run.state == "finished" and not bad
    assert [r["step"] for r in run.history] == list(range(600))
    assert len(list((run.path / "metrics").iterdir())) > 5  # read across many chunks


def test_retention_settings_are_checked_where_they_are_set():
    for bad in (-1, 1.5, True):
        with pytest.raises(dw.ParamError, match="non-negative integer") as err:
            quick(keep_checkpoints=bad, start=False)
        assert err.value.port == "training.keep_checkpoints"
    with pytest.raises(dw.ParamError, match="true or false") as err:
        quick(keep_best="yes", start=False)
    assert err.value.port == "training.keep_best"
    g = two_mlp_graph()
    dw.training_config(g, data={"x": "X", "y": "Y"}, keep_checkpoints=2, keep_best=False)
    assert g.training["keep_checkpoints"] == 2 and g.training["keep_best"] is False
