"""Fixes from a user-level review: each test fails without its fix."""

import pathlib

import numpy as np
import pytest
import torch

import diffwire as dw

from train_util import mlp_graph, sine_data


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


def test_lotka_volterra_demo_reads_the_nfe_key_that_records_carry():
    # the demo printed run.history[-1].get("nfe"), which is always None
    data = dw.ode.lotka_volterra()
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)

    def fixed(name, v):
        return {"source": "kernel", "name": name, "value": v, "batch": False}

    run = dw.train(g, data={"y0": fixed("y0", data.y0), "t": fixed("t", data.t), "y": data.y},
                   loss="mse", steps=1, progress=False, background=False)
    assert run.history[-1]["solve/nfe"] > 0 and "nfe" not in run.history[-1]
    root = pathlib.Path(__file__).resolve().parents[1]
    for name in ("demos/03_lotka_volterra_ude.ipynb", "tools/make_ode_demos.py"):
        text = (root / name).read_text()
        assert 'get("nfe")' not in text and 'get(\\"nfe\\")' not in text


def test_cli_on_a_file_without_training_section(tmp_path, capsys):
    # validate used to fail with "no output has target data of the same name (expected ['y'],
    # found [])" on the README tour's model.diffwire, which is a fine model file
    from diffwire import cli
    path = mlp_graph().save(tmp_path / "model.diffwire")
    assert cli.main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: training: the document has no training section" in err
    out = tmp_path / "runs"
    assert cli.main(["train", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "error: training: the document has no training section" in err
    assert "dw.training_config" in err and not out.exists()


def test_integer_data_into_a_float_input_trains():
    # used to fail with "node 'mlp': RuntimeError: mat1 and mat2 must have the same dtype,
    # but got Long and Float" for x = [[0], [1], ...] (a Python list or an int array)
    x = [[i % 3] for i in range(16)]
    y = np.zeros((16, 1), dtype=np.float32)
    run = dw.train(mlp_graph(), data={"x": x, "y": y}, loss="mse", steps=2,
                   progress=False, background=False)
    assert run.state == "finished", run.reason
    assert run.dataset.train["x"].dtype == torch.float32


def test_every_public_name_has_its_own_docstring():
    import inspect
    missing = []
    for name in dw.__all__:
        obj = getattr(dw, name)
        if inspect.isclass(obj):
            doc = obj.__dict__.get("__doc__")
        elif callable(obj) or inspect.ismodule(obj):
            doc = obj.__doc__
        else:
            continue  # plain values (a version string) carry no docstring of their own
        if not (doc and doc.strip()):
            missing.append(name)
    assert not missing


def test_every_builtin_block_has_a_doc_and_editor_param_kinds():
    editor_kinds = {"int", "float", "string", "bool", "choice", "list", "shape", "dict"}
    from diffwire.blocks.registry import BLOCKS
    builtin = {t for t, cls in BLOCKS.items() if cls.__module__.startswith("diffwire.")}
    blocks = dw.catalog()["blocks"]
    for b in blocks.values() if isinstance(blocks, dict) else blocks:
        if b["type"] not in builtin:  # blocks other tests registered
            continue
        assert b["doc"].strip(), b["type"]
        for p in b["params"]:
            assert p["kind"] in editor_kinds, (b["type"], p["name"], p["kind"])


def test_reshape_error_shows_sizes_in_terms_of_the_batch():
    # used to read "shape '[B, -1, 4]' is invalid for input of size 3027": 3027 is 3 * the
    # probe size that stands for B
    g = dw.Graph()
    a = g.add("Input", name="a", shape=[None, 3])
    r = g.add("Reshape", shape=[-1, 4])
    g.connect(a, r)
    g.add_output(r, name="y")
    (err,) = [e for e in g.validate() if e.severity == "error"]
    assert err.node == "reshape" and "3*B" in str(err) and "3027" not in str(err)


def test_cli_export_warns_about_a_broken_training_section(tmp_path, capsys):
    # used to export silently (exit 0); the script's train() then died with KeyError: 'mes'
    from diffwire import cli
    g = mlp_graph()
    np.savez(tmp_path / "d.npz", **sine_data(8))
    dw.training_config(g, data={"x": {"source": "file", "path": "d.npz"},
                                "y": {"source": "file", "path": "d.npz"}}, steps=2)
    g.training["loss"] = "mes"
    path = g.save(tmp_path / "m.diffwire")
    assert cli.main(["export", str(path), "-o", str(tmp_path / "m.py")]) == 0
    assert (tmp_path / "m.py").exists()
    err = capsys.readouterr().err
    assert "warning: training.loss: unknown loss function" in err and "mes" in err


def test_from_python_of_a_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(dw.FormatError) as info:
        dw.from_python(tmp_path / "nope.py")
    assert "nope.py" in str(info.value)
