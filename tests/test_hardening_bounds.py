"""Bounds battery: every number from a document that becomes work or memory is checked,
and each bad one is a typed error naming its place, never a hang or a MemoryError."""

import io
import pathlib
import zipfile

import numpy as np
import pytest
import torch
from test_control_flow import loop_graph

import diffwire as dw
from diffwire import cli
from diffwire.train import limits
from diffwire.train.config import resolve

from train_util import mlp_graph, sine_data


@pytest.mark.parametrize("n, why", [(2.7, "whole number"), (10**12, "out of range"),
                                    (-1.0, "out of range"), (float("nan"), "whole number"),
                                    (float("inf"), "whole number")])
def test_a_loop_count_from_the_data_is_checked(n, why):
    model = loop_graph(with_n=True).compile(seed=0)
    with pytest.raises(dw.RuntimeGraphError, match=why) as info:
        model(h=torch.randn(3, 2), n=torch.tensor(n, dtype=torch.float64))
    assert info.value.node == "loop" and info.value.port == "n"


def test_a_loop_count_must_be_one_number_and_whole_counts_run():
    model = loop_graph(with_n=True).compile(seed=0)
    with pytest.raises(dw.RuntimeGraphError, match="one number") as info:
        model(h=torch.randn(3, 2), n=torch.tensor([1.0, 2.0]))
    assert info.value.port == "n"
    assert model(h=torch.randn(3, 2), n=torch.tensor(50.0))["count"].item() == 50  # the cap
    assert model(h=torch.randn(3, 2), n=torch.tensor(3))["count"].item() == 3


def test_data_dependent_loops_get_a_default_step_timeout():
    d = {"h": np.zeros((2, 2)), "y": np.zeros((2, 2))}
    assert resolve(loop_graph(mode="while"), data=d).step_timeout == \
        limits.DEFAULT_LOOP_STEP_TIMEOUT
    assert resolve(loop_graph(with_n=True), data={**d, "n": 1}).step_timeout \
        == limits.DEFAULT_LOOP_STEP_TIMEOUT
    assert resolve(loop_graph(), data=d).step_timeout == 0
    g = loop_graph(mode="while")
    g.training = {"step_timeout": 0}  # an explicit "no limit" is kept
    assert resolve(g, data=d).step_timeout == 0
    # a while loop nested in a Group body counts too
    outer = dw.Graph()
    h = outer.add("Input", name="h", shape=[None, 2])
    grp = outer.add("Group", inputs=["h"], outputs=["y"])
    outer.connect(h, (grp, "h"))
    outer.add_output((grp, "y"), name="y")
    body = grp.body["body"]
    body.remove(body.outputs()[0].id)
    inner = body.add("Loop", state=["h"], mode="while")
    body.connect("h", (inner, "h"))
    body.add_output((inner, "h"), name="y")
    assert resolve(outer, data=d).step_timeout > 0


def generator_graph(kwargs: dict, name: str = "sine") -> dw.Graph:
    g = mlp_graph()
    g.training = {"data": {k: {"source": "generator", "name": name, "kwargs": kwargs}
                           for k in ("x", "y")},
                  "loss": {"output": "y", "target": "y", "fn": "mse"}, "steps": 1}
    return g


@pytest.mark.parametrize("kwargs, port, why", [
    ({"__class__": 1}, "kwargs", "takes no argument '__class__'"),
    ({"n": 10**12}, "n", "above range"),
    ({"n": 2.5}, "n", "bad parameter value"),
    ({"noise": "loud"}, "n", "bad parameter value"),
    ({"seed": -3}, "seed", "below range"),
])
def test_generator_kwargs_are_checked_against_declared_params(kwargs, port, why):
    errs = dw.validate_training(generator_graph(kwargs))
    assert errs and all(isinstance(e, dw.ParamError) for e in errs)
    assert all(e.port.startswith("training.data.") for e in errs)
    assert any(why in str(e) for e in errs)


def test_ode_problem_generators_declare_bounded_params():
    errs = dw.validate_training(generator_graph({"n": 10**12}, "lotka_volterra"))
    assert errs and any("above range" in str(e) for e in errs)
    errs = dw.validate_training(generator_graph({"dtype": "float64"}, "lotka_volterra"))
    assert any("takes no argument 'dtype'" in str(e) for e in errs)
    from diffwire.train.generators import PARAMS
    assert {"n", "t_end", "noise", "seed", "alpha", "u0"} <= set(PARAMS["lotka_volterra"])


def test_a_failing_user_generator_is_a_typed_error():
    @dw.register_generator("explodes")
    def explodes(n: int = 4):
        raise MemoryError("no")

    try:
        errs = dw.validate_training(generator_graph({"n": 3}, "explodes"))
        assert any("generator 'explodes' failed: MemoryError" in str(e) for e in errs)
    finally:
        from diffwire.train.generators import GENERATORS, PARAMS
        GENERATORS.pop("explodes"), PARAMS.pop("explodes")


def huge_npz(path: pathlib.Path, shape=(10**12,)) -> None:
    """An .npz whose x.npy header declares `shape` (8 TB of float64) over a few bytes."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": shape})
    buf.write(b"\0" * 64)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", buf.getvalue())
        z.writestr("y.npy", buf.getvalue())


def file_graph(folder: pathlib.Path, rel: str) -> pathlib.Path:
    g = mlp_graph()
    g.training = {"data": {k: {"source": "file", "path": rel} for k in ("x", "y")},
                  "loss": {"output": "y", "target": "y", "fn": "mse"}, "steps": 1}
    return g.save(folder / "model.diffwire")


def test_npz_sizes_come_from_headers_before_reading(tmp_path, capsys):
    huge_npz(tmp_path / "huge.npz")
    path = file_graph(tmp_path, "huge.npz")
    errs = dw.validate_training(dw.load(path), root=tmp_path)
    assert errs and all(isinstance(e, dw.GraphError) for e in errs)
    assert any("more than the limit" in str(e) and "8,000,000,000,000 bytes" in str(e)
               for e in errs)
    assert cli.main(["train", str(path), "--out", str(tmp_path / "runs"), "--quiet"]) == 2
    assert "more than the limit" in capsys.readouterr().err


def test_the_data_limit_can_be_raised_and_lowered(tmp_path, monkeypatch, capsys):
    d = sine_data(64)
    np.savez(tmp_path / "d.npz", x=d["x"], y=d["y"])
    (tmp_path / "d.csv").write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in
                                                      zip(d["x"][:, 0], d["y"][:, 0])))
    for rel in ("d.npz", "d.csv"):
        path = file_graph(tmp_path, rel)
        assert dw.validate_training(dw.load(path), root=tmp_path) == []
        try:
            limits.set_max_data_bytes(100)  # 64 float32 rows are 256 bytes
            errs = dw.validate_training(dw.load(path), root=tmp_path)
            assert any("more than the limit" in str(e) for e in errs)
        finally:
            limits.set_max_data_bytes(None)
        monkeypatch.setenv(limits.ENV, "100")
        assert dw.validate_training(dw.load(path), root=tmp_path)
        monkeypatch.delenv(limits.ENV)
    # the command line raises it for one run
    huge_npz(tmp_path / "big.npz", shape=(300_000, 1))  # 2.4 MB declared, data missing
    path = file_graph(tmp_path, "big.npz")
    monkeypatch.setenv(limits.ENV, "1000")
    assert cli.main(["train", str(path), "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert "more than the limit" in capsys.readouterr().err
    assert cli.main(["train", str(path), "--out", str(tmp_path / "r"), "--quiet",
                     "--max-data-mb", "10"]) == 2
    err = capsys.readouterr().err
    assert "more than the limit" not in err and "cannot read big.npz" in err  # truncated data
    limits.set_max_data_bytes(None)


@pytest.mark.parametrize("spec, port", [({"kind": "lbfgs", "history_size": 10**9}, "history_size"),
                                        ({"kind": "lbfgs", "max_iter": 10**9}, "max_iter"),
                                        ({"lr": -1.0}, "lr"), ({"betas": [0.9]}, "betas"),
                                        ({"momentum": 5.0}, "momentum")])
def test_optimizer_options_have_documented_ranges(spec, port):
    g = mlp_graph()
    with pytest.raises(dw.ParamError) as info:
        g.add("Optimizer", **spec)
    assert info.value.port == port
    g.training = {"data": {"x": "x", "y": "y"}, "optimizer": spec}
    errs = dw.validate_training(g, data={"x": np.zeros((4, 1)), "y": np.zeros((4, 1))})
    assert any(e.port == f"training.optimizer.{port}" or e.port == port for e in errs), errs
    with pytest.raises(dw.ParamError):
        dw.train(mlp_graph(), data=sine_data(), optimizer=spec, steps=1, start=False)


def test_ode_max_steps_is_bounded_at_validation():
    g = dw.Graph()
    with pytest.raises(dw.ParamError, match="above range"):
        g.add("ODESolve", max_steps=10**12)
    doc = dw.ode.lotka_volterra_ude(method="builtin_rk4").to_dict()
    for nd in doc["nodes"]:
        if nd["type"] == "ODESolve":
            nd["params"]["max_steps"] = 10**12
    import json
    errs = dw.loads(json.dumps(doc)).validate()
    assert any(isinstance(e, dw.ParamError) and e.port == "max_steps" for e in errs)


def test_npy_members_with_unreadable_headers_are_typed_errors(tmp_path):
    # found by the training fuzzer: a version 3.0 header reached a numpy private function
    # that numpy 2 no longer exports (AttributeError)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (4, 1)})
    v3 = b"\x93NUMPY\x03\x00" + header.getvalue()[8:]
    with zipfile.ZipFile(tmp_path / "v3.npz", "w") as z:
        z.writestr("x.npy", v3 + b"\0" * 16)
        z.writestr("y.npy", b"\x93NUMPY\x03\x00" + b"\xff" * 20)
    errs = dw.validate_training(dw.load(file_graph(tmp_path, "v3.npz")), root=tmp_path)
    assert len(errs) == 2 and all("cannot read v3.npz" in str(e) for e in errs)
