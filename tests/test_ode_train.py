"""UDE training through dw.train: solver statistics in the run's metrics, problem
generators as data bindings."""

import diffwire as dw


def test_train_records_solver_metrics_and_uses_the_generator():
    gen = {"source": "generator", "name": "lotka_volterra", "kwargs": {"n": 11, "t_end": 1.0}}
    data = {"y0": {**gen, "key": "y0", "batch": False}, "t": {**gen, "key": "t", "batch": False},
            "y": {**gen, "key": "y"}}
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4")
    run = dw.train(g, data=data, loss="mse", seed=0, background=False, progress=False,
                   schedule=[{"optimizer": ("adam", {"lr": 0.05}), "steps": 3},
                             {"optimizer": ("lbfgs", {"lr": 1.0}), "steps": 1}])
    assert run.state == "finished", run
    rec = run.history[-1]
    assert rec["solve/nfe"] == 4 * 10 and rec["solve/steps"] == 10  # RK4 on 10 intervals
    assert run.history[-1]["loss"] < run.history[0]["loss"]


def test_a_failing_solve_pauses_the_run_and_names_the_node():
    gen = {"source": "generator", "name": "lotka_volterra", "kwargs": {"n": 11, "t_end": 1.0}}
    data = {"y0": {**gen, "key": "y0", "batch": False}, "t": {**gen, "key": "t", "batch": False},
            "y": {**gen, "key": "y"}}
    g = dw.ode.lotka_volterra_ude(method="dopri5", rtol=1e-12, atol=1e-12, max_steps=1)
    run = dw.train(g, data=data, loss="mse", seed=0, background=False, progress=False,
                   optimizer=("adam", {"lr": 0.05}), steps=3)
    assert run.state == "paused"
    assert "solve" in run.reason and "max_steps" in run.reason


def test_generators_are_registered():
    for name in dw.ode.PROBLEMS:
        arrays = dw.train.GENERATORS[name](n=20, t_end=1.0)
        assert {"t", "y", "y0", "clean"} <= set(arrays)
