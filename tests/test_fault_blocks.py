"""Faults inside a run: a user block that raises, a block that hangs (step_timeout), a
gradient that goes non-finite. The run ends failed or paused with the node named, and the
process keeps serving: another run in the same process trains to the end."""

import threading
import time

import pytest
import torch

import diffwire as dw

from train_util import failing_block, mlp_graph, sine_data

RELEASE = threading.Event()  # lets abandoned hung steps finish when the test is done


Boom = failing_block("TestBoom", 3, ValueError("user code exploded"))


class Hang(dw.Block):
    """Blocks forever (well: until the test releases it) from its `after`-th call on."""

    type = "TestHang"
    category = "test"
    inputs = (dw.Port("x"),)
    outputs = (dw.Port("out"),)
    params = (dw.Param("after", "int", 2),)

    @classmethod
    def build(cls, node, ctx):
        calls = [0]
        after = node.params["after"]

        def fn(x):
            calls[0] += 1
            if calls[0] >= after:
                RELEASE.wait(60)
            return x

        return fn


@pytest.fixture(autouse=True)
def blocks():
    RELEASE.clear()
    dw.register(Boom)
    dw.register(Hang)
    yield
    RELEASE.set()
    dw.unregister("TestBoom")
    dw.unregister("TestHang")


def with_block(type_, node_id, **params):
    g = mlp_graph()
    g.disconnect("y")
    g.add(type_, id=node_id, **params)
    g.connect("mlp", node_id)
    g.connect(node_id, "y")
    return g


def still_serving():
    """The process can still train something else to the end."""
    run = dw.train(mlp_graph(), data=sine_data(), steps=3, progress=False)
    run.wait(timeout=30)
    assert run.state == "finished", run


def test_an_exception_in_a_user_block_fails_the_run_naming_the_node():
    run = dw.train(with_block("TestBoom", "boom"), data=sine_data(), steps=10, progress=False)
    run.wait(timeout=30)
    assert run.state == "failed" and not run.alive
    assert "node 'boom'" in run.reason and "user code exploded" in run.reason
    assert run.step == 2  # the two good steps count; the third did not happen
    assert "ValueError" in run.traceback
    still_serving()


@pytest.mark.timeout(60)
def test_a_hanging_block_fails_the_run_after_step_timeout_naming_the_node():
    ends = []

    class Listen(dw.Callback):
        def on_run_end(self, run):
            ends.append(run.state)

    start = time.monotonic()
    run = dw.train(with_block("TestHang", "stuck", after=3), data=sine_data(), steps=50,
                   step_timeout=0.5, progress=False, callbacks=[Listen()])
    run.wait(timeout=30)
    assert time.monotonic() - start < 30
    assert run.state == "failed" and not run.alive, run
    assert "StepTimeout" in run.reason and "node 'stuck'" in run.reason, run.reason
    assert "step 2" in run.reason and "abandoned" in run.reason
    assert run.step == 2 and ends == ["failed"]
    assert len(run.abandoned) == 1 and run.abandoned[0].daemon and run.abandoned[0].is_alive()
    assert any(ev["type"] == "step_timeout" and ev["node"] == "stuck" for ev in run.events)
    # Nothing deadlocks: commands on the dead run return at once, another run trains.
    t0 = time.monotonic()
    run.stop()
    run.pause()
    assert time.monotonic() - t0 < 5
    still_serving()
    RELEASE.set()
    run.abandoned[0].join(10)
    assert not run.abandoned[0].is_alive()


@pytest.mark.timeout(60)
def test_step_timeout_in_the_foreground_and_from_the_training_section():
    g = with_block("TestHang", "stuck", after=2)  # call 1 is shape inference
    g.training = {"steps": 5, "step_timeout": 0.3}
    run = dw.train(g, data=sine_data(), progress=False, background=False)
    assert run.state == "failed" and "node 'stuck'" in run.reason and run.step < 5
    RELEASE.set()


def test_a_generous_step_timeout_changes_nothing():
    a = dw.train(mlp_graph(), data=sine_data(), steps=5, progress=False, background=False)
    b = dw.train(mlp_graph(), data=sine_data(), steps=5, progress=False, background=False,
                 step_timeout=30)
    assert b.state == "finished"
    assert [r["loss"] for r in a.history] == [r["loss"] for r in b.history]


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "1", True])
def test_step_timeout_must_be_a_non_negative_number(bad):
    with pytest.raises(dw.ParamError) as info:
        dw.train(mlp_graph(), data=sine_data(), steps=1, step_timeout=bad, start=False)
    assert info.value.port == "training.step_timeout"


def test_a_non_finite_gradient_pauses_and_names_the_node():
    g = mlp_graph()
    g.disconnect("y")
    e = g.add("Expression", id="kink", expr="sqrt(x - x) + x", inputs=["x"])  # d/dx sqrt(0)
    g.connect("mlp", e)
    g.connect(e, "y")
    run = dw.train(g, data=sine_data(), steps=5, progress=False, background=False)
    assert run.state == "paused" and run.nonfinite["what"] == "gradient", run
    assert run.nonfinite["node"] is not None and run.nonfinite["node"] in run.reason
    run.stop()


def test_the_running_node_is_tracked_inside_bodies():
    from diffwire.compile import RUNNING

    seen = []

    class Spy(torch.nn.Module):
        def forward(self, x):
            seen.append(RUNNING.get(threading.get_ident()))
            return x

    class SpyBlock(dw.Block):
        type = "TestSpy"
        category = "test"
        inputs = (dw.Port("x"),)
        outputs = (dw.Port("out"),)

        @classmethod
        def build(cls, node, ctx):
            return Spy()

    dw.register(SpyBlock)
    try:
        g = dw.Graph()
        h = g.add("Input", name="h", shape=[None, 3])
        loop = g.add("Loop", id="loop", state=["h"], iterations=2)
        g.connect(h, (loop, "h"))
        g.add_output((loop, "h"), name="y")
        body = loop.body["body"]
        body.remove("h_1")
        spy = body.add("TestSpy", id="spy")
        body.connect("h", spy)
        body.add_output(spy, name="h")
        g.compile()(h=torch.ones(2, 3))
    finally:
        dw.unregister("TestSpy")
    assert set(seen) == {"loop/body/spy"} and len(seen) >= 2  # plus shape inference
    assert RUNNING.get(threading.get_ident()) is None


@pytest.mark.timeout(60)
def test_cli_train_step_timeout_fails_a_hanging_run(tmp_path, capsys):
    from diffwire import cli

    g = with_block("TestHang", "stuck", after=2)
    dw.training_config(g, data={"x": {"source": "generator", "name": "sine"},
                                "y": {"source": "generator", "name": "sine"}}, steps=5)
    path = g.save(tmp_path / "hang.diffwire")
    code = cli.main(["train", str(path), "--out", str(tmp_path / "runs"), "--quiet",
                     "--device", "cpu", "--step-timeout", "0.3"])
    err = capsys.readouterr().err
    assert code != 0 and "StepTimeout" in err and "node 'stuck'" in err, err[-2000:]
    assert cli.main(["train", str(path), "--step-timeout", "-1"]) == 2


@pytest.mark.parametrize("name", ["tap", "self"])
def test_inputs_named_like_run_arguments_train(name):
    # Before: the loss called model.run(**batch, tap=...): an input called "tap" clashed
    # ("got multiple values for keyword argument 'tap'"), one called "self" too.
    g = dw.Graph()
    x = g.add("Input", name=name, shape=[None, 1])
    h = g.add("MLP", id="mlp", widths=[1, 4, 1])
    g.connect(x, h)
    g.add_output(h, name="y")
    d = sine_data()
    run = dw.train(g, data={name: d["x"], "y": d["y"]}, steps=3, progress=False,
                   background=False)
    assert run.state == "finished", run
    assert run.snapshot()["outputs"]["y"].shape == (32, 1)
