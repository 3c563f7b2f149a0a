"""Data bindings: kernel values, .npz/.csv files next to the document, generators."""

import sys

import numpy as np
import pytest
import torch

import diffwire as dw
from diffwire.train.config import resolve

from train_util import mlp_graph, sine_data


def test_file_bindings_npz_and_csv(tmp_path):
    d = sine_data(16)
    np.savez(tmp_path / "d.npz", x=d["x"], y=d["y"])
    rows = np.hstack([d["x"], d["y"]])
    (tmp_path / "d.csv").write_text("a,b\n" + "\n".join(f"{a},{b}" for a, b in rows))
    g = mlp_graph()
    for binding in ({"x": {"source": "file", "path": "d.npz"},
                     "y": {"source": "file", "path": "d.npz"}},
                    {"x": {"source": "file", "path": "d.csv", "columns": ["a"]},
                     "y": {"source": "file", "path": "d.csv", "columns": ["b"]}}):
        g.training = {"data": binding, "steps": 2}
        run = dw.train(g, data_root=tmp_path, progress=False, background=False)
        assert run.state == "finished"
        assert np.allclose(run.dataset.train["y"].numpy(), d["y"])


def test_file_paths_stay_inside_the_documents_folder(tmp_path):
    g = mlp_graph()
    for path in ("../d.npz", "/etc/passwd", "a/../../d.npz"):
        g.training = {"data": {"x": {"source": "file", "path": path}, "y": "Y"}}
        with pytest.raises(dw.GraphError, match="relative") as info:
            dw.train(g, data_root=tmp_path, progress=False, start=False)
        assert info.value.port == "training.data.x"


def test_npz_with_object_arrays_is_refused(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.array([{"a": 1}], dtype=object), y=np.zeros(1))
    g = mlp_graph()
    g.training = {"data": {"x": {"source": "file", "path": "d.npz"},
                           "y": {"source": "file", "path": "d.npz"}}}
    with pytest.raises(dw.GraphError, match="without pickle"):
        dw.train(g, data_root=tmp_path, progress=False, start=False)


def test_generators_and_kernel_variables():
    @dw.register_generator("test_line")
    def line(n=8, slope=2.0):
        x = np.linspace(0, 1, n, dtype=np.float32)[:, None]
        return {"x": x, "y": slope * x}

    g = mlp_graph()
    g.training = {"data": {"x": {"source": "generator", "name": "test_line", "kwargs": {"n": 10}},
                           "y": {"source": "generator", "name": "test_line", "kwargs": {"n": 10}}},
                  "steps": 2}
    run = dw.train(g, progress=False, background=False)
    assert run.dataset.n == 10 and float(run.dataset.train["y"][-1, 0]) == pytest.approx(2.0)
    main = vars(sys.modules["__main__"])
    main["_dw_test_X"], main["_dw_test_Y"] = sine_data()["x"], sine_data()["y"]
    try:
        g.training = {"data": {"x": "_dw_test_X", "y": {"source": "kernel", "name": "_dw_test_Y"}},
                      "steps": 2}
        assert dw.train(g, progress=False, background=False).state == "finished"
    finally:
        del main["_dw_test_X"], main["_dw_test_Y"]
    g.training["data"]["x"] = {"source": "generator", "name": "nope"}
    with pytest.raises(dw.GraphError, match="no data generator named 'nope'"):
        dw.train(g, progress=False, start=False)


def test_batches_depend_on_seed_and_step_only_and_val_split_holds_rows_out():
    run = dw.train(mlp_graph(), data=sine_data(40), batch_size=8, val_split=0.25, eval_every=2,
                   steps=4, seed=5, progress=False, background=False)
    ds = run.dataset
    assert ds.n_train == 30 and ds.val["x"].shape[0] == 10
    again = dw.train(mlp_graph(), data=sine_data(40), batch_size=8, val_split=0.25, seed=5,
                     steps=1, progress=False, start=False).dataset
    for s in (0, 3, 4, 9):
        assert np.array_equal(ds.batch(s)["x"].numpy(), again.batch(s)["x"].numpy())
    epoch = np.concatenate([ds.batch(s)["x"].numpy() for s in range(4)])
    assert sorted(epoch[:, 0].tolist()) == sorted(ds.train["x"][:, 0].tolist())
    assert [r["step"] for r in run.history if "val_loss" in r] == [1, 3]


def test_training_config_writes_a_section_that_trains_alone(tmp_path):
    g = mlp_graph()
    sec = dw.training_config(
        g, data={"x": {"source": "generator", "name": "sine", "kwargs": {"n": 16}},
                 "y": {"source": "generator", "name": "sine", "kwargs": {"n": 16}}},
        loss={"output": "y", "target": "y", "fn": "l1"}, optimizer=("sgd", {"lr": 0.1}),
        steps=3, seed=2)
    assert sec["optimizer"] == "optim" and g.node("optim").params["kind"] == "sgd"
    path = g.save(tmp_path / "m.diffwire")
    run = dw.train(path, progress=False, background=False)
    assert run.state == "finished" and run.step == 3 and run.config.loss[0]["fn"] == "l1"
    assert run.config.seed == 2
    with pytest.raises(dw.GraphError):
        dw.training_config(g, data={"x": np.zeros(3)})


def test_loss_wiring_errors_and_loss_nodes():
    g = mlp_graph()
    with pytest.raises(dw.GraphError, match="no graph output 'z'"):
        resolve(g, data=sine_data(), loss={"output": "z", "target": "y"})
    with pytest.raises(dw.GraphError, match="unknown loss function"):
        resolve(g, data=sine_data(), loss="mystery")
    # the graph computes its own loss: the target comes in as an input
    g.add("Input", name="t", shape=[None, 1])
    mse = g.add("MSE", id="mse")
    g.connect("mlp", (mse, "pred"))
    g.connect("t", (mse, "target"))
    data = {"x": sine_data()["x"], "t": sine_data()["y"]}
    run = dw.train(g, data=data, loss={"node": "mse"}, steps=5, optimizer=("adam", {"lr": 0.05}),
                   progress=False, background=False)
    assert run.history[-1]["loss"] < run.history[0]["loss"]


def test_a_loss_on_an_input_node_is_refused_naming_it():
    """Found by the training fuzzer: a loss term on an Input node failed the run with a bare
    KeyError (inputs are not tapped); it is data, so the section is refused up front."""
    g = mlp_graph()
    with pytest.raises(dw.GraphError, match="loss term on an Input node") as e:
        dw.train(g, data=sine_data(), loss={"node": "x", "fn": "l1"}, steps=1,
                 progress=False, background=False)
    assert e.value.node == "x"


def test_whole_arrays_are_not_batched_and_block_metrics_join_the_record():
    class Scale(dw.Block):
        """Multiplies by a fixed array `s` and counts its calls (a metrics() reporter)."""

        type = "TestScale"
        category = "test"
        inputs = (dw.Port("x"), dw.Port("s"))
        outputs = (dw.Port("out"),)

        @classmethod
        def build(cls, node, ctx):
            import torch

            class M(torch.nn.Module):
                calls = 0

                def forward(self, x, s):
                    self.calls += 1
                    return x * s

                def metrics(self):
                    return {"calls": self.calls}

            return M()

    dw.register(Scale)
    try:
        g = mlp_graph()
        g.disconnect("y")
        s = g.add("Input", name="s", shape=[1])
        sc = g.add("TestScale", id="scale")
        g.connect("mlp", (sc, "x"))
        g.connect(s, (sc, "s"))
        g.connect(sc, "y")
        d = sine_data(20)
        run = dw.train(g, data={**d, "s": {"source": "kernel", "name": "s",
                                           "value": np.ones(1, np.float32), "batch": False}},
                       batch_size=5, steps=3, progress=False, background=False)
        assert run.state == "finished", run.reason
        assert run.dataset.batch(0)["x"].shape == (5, 1) and run.dataset.batch(0)["s"].shape == (1,)
        assert [r["scale/calls"] for r in run.history] == [1, 2, 3]
    finally:
        dw.unregister("TestScale")


@pytest.mark.parametrize("y_shape", [(32, 3), (32,)])
def test_target_of_the_wrong_shape_names_the_output_node(y_shape):
    # [32, 3] used to fail with torch's bare RuntimeError; [32] silently broadcast to [32, 32]
    d = sine_data(32)
    y = np.zeros(y_shape, dtype=np.float32)
    run = dw.train(mlp_graph(), data={"x": d["x"], "y": y}, loss="mse", steps=2,
                   progress=False, background=False)
    assert run.state == "failed"
    text = run.reason
    assert text.startswith("ShapeMismatch")
    assert "node 'y', port 'x'" in text and "[32, 1]" in text and str(list(y_shape)) in text


def test_target_of_the_right_shape_still_trains():
    d = sine_data(32)
    run = dw.train(mlp_graph(), data=d, loss="mse", steps=2, progress=False, background=False)
    assert run.state == "finished"


def test_training_a_graph_without_output_says_so():
    # used to say "no output has target data of the same name (expected [], ...)"
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    g.connect(x, g.add("MLP", widths=[1, 4, 1]))
    with pytest.raises(dw.GraphError, match="no Output node"):
        dw.train(g, data=sine_data(8), loss="mse", steps=1, progress=False, background=False)


def test_integer_data_into_a_float_input_trains():
    # used to fail with "node 'mlp': RuntimeError: mat1 and mat2 must have the same dtype,
    # but got Long and Float" for x = [[0], [1], ...] (a Python list or an int array)
    x = [[i % 3] for i in range(16)]
    y = np.zeros((16, 1), dtype=np.float32)
    run = dw.train(mlp_graph(), data={"x": x, "y": y}, loss="mse", steps=2,
                   progress=False, background=False)
    assert run.state == "finished", run.reason
    assert run.dataset.train["x"].dtype == torch.float32
