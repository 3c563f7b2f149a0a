"""A NaN or inf pauses the run and names the first node whose output went non-finite."""

import diffwire as dw

from train_util import failing_block, mlp_graph, sine_data


def test_division_by_a_zero_constant_pauses_and_names_the_node():
    g = mlp_graph()
    g.disconnect("y")
    zero = g.add("Constant", id="zero", value=[0.0], shape=[])
    div = g.add("Div", id="div")
    g.connect("mlp", (div, "a"))
    g.connect(zero, (div, "b"))
    g.connect(div, "y")
    run = dw.train(g, data=sine_data(), steps=100, progress=False)
    run.wait(timeout=10)
    try:
        assert run.state == "paused"
        assert run.nonfinite["node"] == "div" and run.nonfinite["step"] == 0
        assert "div" in run.reason and "step 0" in run.reason
        assert run.alive  # the thread waits for a command; the kernel is fine
        assert run.step == 0
    finally:
        run.stop()
    assert run.state == "stopped" and not run.alive


def test_log_of_negative_in_an_expression_pauses_later_and_names_it():
    g = mlp_graph()
    g.disconnect("y")
    e = g.add("Expression", id="expr", expr="x + log(c)", inputs=["x"], constants={"c": -1.0})
    g.connect("mlp", e)
    g.connect(e, "y")
    paused = []

    class Listen(dw.Callback):
        def on_pause(self, run, reason):
            paused.append(reason)

    run = dw.train(g, data=sine_data(), steps=100, progress=False, background=False,
                   callbacks=[Listen()])
    assert run.state == "paused" and run.nonfinite["node"] == "expr"
    assert paused and "expr" in paused[0]
    assert any(ev["type"] == "nonfinite" and ev["node"] == "expr" for ev in run.events)


def test_nan_in_the_data_names_the_input():
    data = sine_data()
    data["x"][3, 0] = float("nan")
    run = dw.train(mlp_graph(), data=data, steps=10, progress=False, background=False)
    assert run.state == "paused" and run.nonfinite["node"] == "input 'x'"


def test_an_error_marked_pauses_run_pauses_instead_of_failing():
    class Budget(RuntimeError):
        pauses_run = True

    dw.register(failing_block("TestStiff", 2, Budget("max_steps exhausted")))
    try:
        g = mlp_graph()
        g.disconnect("y")
        g.add("TestStiff", id="solve")
        g.connect("mlp", "solve")
        g.connect("solve", "y")
        run = dw.train(g, data=sine_data(), steps=5, progress=False)
        run.wait(timeout=10)
        assert run.state == "paused" and run.alive
        assert "node 'solve'" in run.reason and "max_steps exhausted" in run.reason
        assert run.step == 1
        run.resume()  # the block works again: the run carries on to the end
        run.wait(timeout=10)
        assert run.state == "finished" and run.step == 5
    finally:
        dw.unregister("TestStiff")
