"""Rebuilding a live run after graph edits keeps what did not change."""

import pytest

import diffwire as dw

from train_util import equal, sine_data, state_copy, two_mlp_graph, wait_for


def test_width_change_keeps_other_nodes_weights_and_optimizer_state():
    g = two_mlp_graph()
    run = dw.train(g, data=sine_data(), steps=10**7, progress=False)
    try:
        assert wait_for(lambda: run.step >= 5)
        run.pause()
        before = state_copy(run.model)
        old_state = {n: {k: v.clone() for k, v in run.optimizer.state[p].items()}
                     for n, p in run.model.named_parameters()}
        g.node("enc").params["widths"] = [1, 16, 8]  # enc's weights change shape
        report = run.rebuild()
        assert report["reset"] == ["enc"]
        assert report["kept"] == ["dec"]
        after = run.model.state_dict()
        for k, v in before.items():
            if k.startswith("blocks.dec."):
                assert equal(after[k], v), k
        assert after["blocks.enc.0.weight"].shape == (16, 1)
        for n, p in run.model.named_parameters():
            st = run.optimizer.state.get(p, {})
            if n.startswith("blocks.dec."):
                assert set(st) == set(old_state[n])
                for k, v in old_state[n].items():
                    assert equal(st[k], v), (n, k)
            else:
                assert not st  # the reset node starts with fresh optimizer state
        assert any(e["type"] == "rebuild" and e["reset"] == ["enc"] for e in run.events)
        s = run.step
        run.resume()
        assert wait_for(lambda: run.step > s + 3)
        assert run.state == "running"
    finally:
        run.stop()


def test_rebuild_reports_and_callback():
    seen = []

    class Listen(dw.Callback):
        def on_rebuild(self, run, report):
            seen.append(report)

    g = two_mlp_graph()
    run = dw.train(g, data=sine_data(), steps=4, progress=False, background=False,
                   callbacks=[Listen()])
    assert not run.stale
    g.node("dec").position = [5.0, 5.0]
    assert not run.stale  # moving a node is no edit
    g.node("dec").params["activation"] = "relu"  # same shapes: kept
    assert run.stale
    report = run.rebuild()
    assert not run.stale
    assert report["reset"] == [] and report["kept"] == ["dec", "enc"]
    assert seen == [report]


def test_rebuild_of_an_invalid_graph_raises_and_keeps_the_old_model():
    g = two_mlp_graph()
    run = dw.train(g, data=sine_data(), steps=10**7, progress=False)
    try:
        assert wait_for(lambda: run.step >= 2)
        model = run.model
        g.node("dec").params["widths"] = [5, 8, 1]  # no longer fits enc's 8 outputs
        with pytest.raises(dw.GraphError) as info:
            run.rebuild()
        assert info.value.node == "dec"
        assert run.model is model and run.state == "running"
    finally:
        run.stop()


def test_a_rebuild_that_leaves_nothing_to_train_changes_nothing():
    g = two_mlp_graph()
    g.add("Optimizer", id="opt", kind="adam", nodes=["enc"])
    g.training = {"optimizer": "opt"}
    run = dw.train(g, data=sine_data(), steps=2, progress=False, background=False)
    model, opt = run.model, run.optimizer
    g.node("opt").params["nodes"] = ["gone"]
    with pytest.raises(dw.GraphError, match="nothing to train"):
        run.rebuild()
    assert run.model is model and run.optimizer is opt
