"""Live control of a background run: pause, resume, stop, set, within one step."""

import threading

import pytest
import torch

import diffwire as dw

from train_util import failing_block, mlp_graph, sine_data, wait_for

BIG = 10**7  # a budget no test reaches: runs end by stop()


def start(**kw):
    run = dw.train(mlp_graph(), data=sine_data(), steps=BIG, progress=False, **kw)
    assert wait_for(lambda: run.step >= 3)
    return run


def test_pause_resume_stop_take_effect_within_one_step():
    run = start()
    try:
        assert run.state == "running" and run.alive
        s0 = run.step
        run.pause()
        assert run.state == "paused"
        assert run.step <= s0 + 1
        held = run.step
        assert not wait_for(lambda: run.step != held, timeout=0.2)  # no step while paused
        run.resume()
        assert run.state == "running"
        assert wait_for(lambda: run.step > held + 2)
        s1 = run.step
        run.stop()
        assert run.state == "stopped"
        assert run.step <= s1 + 1
        assert not run.alive
    finally:
        run.stop()


def test_set_lr_from_another_thread_reaches_the_next_step():
    run = start(optimizer=("adam", {"lr": 1e-3}))
    try:
        box = {}

        def other():
            box["s0"] = run.step
            run.set(lr=0.05)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert wait_for(lambda: run.step > box["s0"] + 3)
        run.pause()
        first = min(r["step"] for r in run.history if r["lr"] == 0.05)
        assert first <= box["s0"] + 1
        assert all(r["lr"] == 1e-3 for r in run.history if r["step"] < first)
        assert run.optimizer.param_groups[0]["lr"] == 0.05
        assert any(e["type"] == "set" and e["lr"] == 0.05 for e in run.events)
    finally:
        run.stop()


def test_set_updates_the_optimizer_node_in_the_graph():
    g = mlp_graph()
    g.add("Optimizer", id="opt", kind="sgd", lr=0.01, momentum=0.9)
    g.training = {"optimizer": "opt"}
    run = dw.train(g, data=sine_data(), steps=BIG, progress=False)
    try:
        assert wait_for(lambda: run.step >= 2)
        run.set(lr=0.002, momentum=0.5)
        assert g.node("opt").params["lr"] == 0.002
        assert run.optimizer.param_groups[0]["momentum"] == 0.5
    finally:
        run.stop()


def test_unknown_set_key_is_refused_in_the_caller():
    run = dw.train(mlp_graph(), data=sine_data(), steps=5, progress=False, start=False)
    with pytest.raises(dw.ParamError, match="widths"):
        run.set(widths=[1, 2])


def test_repr_and_history_in_foreground_mode():
    run = dw.train(mlp_graph(), data=sine_data(), steps=7, progress=False, background=False)
    assert run.state == "finished" and run.step == 7 and not run.alive
    assert len(run.history) == 7 and run.history[0]["step"] == 0
    assert set(run.history[0]) >= {"step", "loss", "grad_norm", "lr", "time", "phase"}
    text = repr(run)
    assert "finished" in text and "7/7" in text and f"{run.loss:.4g}" in text
    assert run.series("loss")[0] == list(range(7))


def test_failing_block_gives_failed_state_with_traceback():
    dw.register(failing_block("TestBoom", 3, ValueError("boom inside a user block"), scale=2.0))
    try:
        g = mlp_graph()
        g.disconnect("y")
        b = g.add("TestBoom", id="boom")
        g.connect("mlp", b)
        g.connect(b, "y")
        ends = []

        class End(dw.Callback):
            def on_run_end(self, run):
                ends.append(run.state)

        run = dw.train(g, data=sine_data(), steps=50, progress=False, callbacks=[End()])
        run.wait(timeout=10)
        assert run.state == "failed"
        assert wait_for(lambda: not run.alive, timeout=5)
        assert "boom inside a user block" in run.reason
        assert "ValueError" in run.traceback and "Traceback" in run.traceback
        assert run.step == 2 and ends == ["failed"]
        assert "failed" in repr(run)
        # the process is fine: another run trains
        again = dw.train(mlp_graph(), data=sine_data(), steps=3, progress=False, background=False)
        assert again.state == "finished"
    finally:
        dw.unregister("TestBoom")


def test_seeded_cpu_runs_are_reproducible_step_for_step():
    kw = dict(data=sine_data(), steps=12, batch_size=8, seed=7, progress=False, background=False,
              device="cpu")
    a, b = dw.train(mlp_graph(), **kw), dw.train(mlp_graph(), **kw)
    assert [r["loss"] for r in a.history] == [r["loss"] for r in b.history]
    c = dw.train(mlp_graph(), **{**kw, "seed": 8})
    assert [r["loss"] for r in a.history] != [r["loss"] for r in c.history]


def test_device_defaults_to_cuda_when_available_else_cpu():
    from diffwire.train import default_device

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert default_device().type == expected
    assert default_device("cpu").type == "cpu"
    with pytest.raises(dw.ParamError, match="not a device"):
        default_device("gpu9")
    if not torch.cuda.is_available():
        with pytest.raises(dw.ParamError, match="CUDA is not available"):
            default_device("cuda")
    run = dw.train(mlp_graph(), data=sine_data(), steps=1, progress=False, start=False,
                   device="cpu")
    assert next(run.model.parameters()).device.type == "cpu"
    assert run.dataset.full()["x"].device.type == "cpu"


def test_dw_train_is_a_callable_package_with_the_functions_signature():
    import inspect

    import diffwire.train.optim as optim_module

    assert optim_module.KINDS and callable(dw.train)
    assert "steps" in inspect.signature(dw.train).parameters
    assert dw.train.Run is dw.Run and "Arguments" in dw.train.__doc__
    for name in ("train", "resume", "Run", "Callback", "register_generator", "training_config",
                 "validate_training", "Optimizer"):
        assert getattr(dw, name).__doc__, name


def test_train_names_every_section_key_and_resume_shares_its_run_keywords():
    # dw.train and dw.resume spell their keywords out (help() and editors show them), so
    # the lists are written twice on purpose; this holds them to the training section
    import inspect

    from diffwire.train.config import SECTION_KEYS

    train = inspect.signature(dw.train).parameters
    resume = inspect.signature(dw.resume).parameters
    assert SECTION_KEYS <= set(train), sorted(SECTION_KEYS - set(train))
    run_keywords = set(resume) - {"path", "graph", "data", "steps"}
    assert run_keywords <= set(train), sorted(run_keywords - set(train))
    for name in run_keywords:
        assert resume[name].default == train[name].default, name
