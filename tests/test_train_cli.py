"""``diffwire validate`` and ``diffwire train`` on small files, good and bad."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import torch

import diffwire as dw
from diffwire import cli

from train_util import mlp_graph, sine_data

ROOT = pathlib.Path(__file__).resolve().parents[1]


def diffwire(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "kernel_lib")}
    return subprocess.run([sys.executable, "-m", "diffwire.cli", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def write_model(folder: pathlib.Path) -> pathlib.Path:
    d = sine_data(24)
    np.savez(folder / "data.npz", x=d["x"], y=d["y"])
    g = mlp_graph()
    dw.training_config(g, data={"x": {"source": "file", "path": "data.npz"},
                                "y": {"source": "file", "path": "data.npz"}},
                       loss={"output": "y", "target": "y", "fn": "mse"},
                       optimizer=("adam", {"lr": 1e-2}), steps=100, checkpoint_every=5)
    return g.save(folder / "model.diffwire")


def test_cli_train_writes_checkpoints_weights_and_metrics(tmp_path):
    model = write_model(tmp_path)
    r = diffwire("train", model.name, "--steps", 12, "--device", "cpu", "--out", "runs",
                 cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (out,) = (tmp_path / "runs").iterdir()  # runs/<run id>/
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        "step_0000005.pt", "step_0000010.pt", "step_0000012.pt"]
    weights = torch.load(out / "weights.pt", weights_only=True)
    assert "blocks.mlp.0.weight" in weights
    lines = (out / "metrics.csv").read_text().splitlines()
    assert lines[0].startswith("step,loss") and len(lines) == 13
    record = json.loads((out / "run.json").read_text())
    assert record["state"] == "finished" and record["step"] == 12
    assert "train" in r.stderr and "12/12" in r.stderr  # the progress bar
    assert dw.load(out / "model.diffwire").training["steps"] == 12


def test_cli_train_bad_file_exits_2_and_writes_nothing(tmp_path, capsys):
    model = write_model(tmp_path)
    doc = json.loads(model.read_text())
    for n in doc["nodes"]:
        if n["id"] == "mlp":
            n["params"]["widths"] = [3, 8, 1]  # no longer fits the 1-wide input
    bad = tmp_path / "bad.diffwire"
    bad.write_text(json.dumps(doc))
    r = diffwire("train", bad.name, "--steps", 5, "--out", "runs", cwd=tmp_path)
    assert r.returncode == 2
    assert "node 'mlp'" in r.stderr and "port 'x'" in r.stderr
    assert not (tmp_path / "runs").exists()
    missing = json.loads(model.read_text())
    missing["training"]["data"]["x"]["path"] = "nowhere.npz"
    (tmp_path / "missing.diffwire").write_text(json.dumps(missing))
    out = tmp_path / "runs"
    assert cli.main(["train", str(tmp_path / "missing.diffwire"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "nowhere.npz" in err and "training.data.x" in err
    assert not out.exists()
    (tmp_path / "junk.diffwire").write_text("{not json")
    assert cli.main(["train", str(tmp_path / "junk.diffwire"), "--out", str(out)]) == 2
    assert "not a JSON document" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(["train", str(model), "--out", str(out), "--device", "nodevice"]) == 2
    assert not out.exists()


def test_cli_validate(tmp_path, capsys):
    model = write_model(tmp_path)
    assert cli.main(["validate", str(model)]) == 0
    assert "ok (4 nodes, 2 edges)" in capsys.readouterr().out
    doc = json.loads(model.read_text())
    doc["edges"] = [e for e in doc["edges"] if e["target"] != "mlp"]
    doc["nodes"].append({"id": "d", "type": "Nope", "params": {}})
    bad = tmp_path / "bad.diffwire"
    bad.write_text(json.dumps(doc))
    assert cli.main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "node 'mlp', port 'x'" in err and "required input has no edge" in err
    assert "node 'd'" in err and "unknown block type 'Nope'" in err
    doc = json.loads(model.read_text())
    doc["training"]["loss"]["output"] = "zzz"
    bad.write_text(json.dumps(doc))
    assert cli.main(["validate", str(bad)]) == 2
    assert "training.loss" in capsys.readouterr().err


def test_cli_usage_and_commands_table():
    assert cli.main([]) == 2
    assert {"validate", "train"} <= set(cli.COMMANDS)


def test_cli_validate_warns_about_kernel_bindings(tmp_path, capsys):
    g = mlp_graph()
    dw.training_config(g, data={"x": "X", "y": "Y"}, steps=3)
    path = g.save(tmp_path / "k.diffwire")
    assert cli.main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: training.data.x" in err and "kernel variable" in err
    assert cli.main(["train", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "no kernel" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_cli_trains_a_two_phase_schedule_from_the_file(tmp_path):
    g = mlp_graph()
    dw.training_config(g, data={"x": {"source": "generator", "name": "sine", "kwargs": {"n": 16}},
                                "y": {"source": "generator", "name": "sine", "kwargs": {"n": 16}}},
                       schedule=[{"optimizer": ("adam", {"lr": 1e-2}), "steps": 5},
                                 {"optimizer": ("lbfgs", {"lr": 1.0, "max_iter": 3}), "steps": 5}])
    path = g.save(tmp_path / "s.diffwire")
    assert cli.main(["train", str(path), "--steps", "7", "--quiet"]) == 0
    (kept,) = dw.runs(path)  # s.runs/<run id>/ beside the file by default
    run = dw.load_run(kept["path"])
    assert [r["phase"] for r in run.history] == [0] * 5 + [1] * 2
    assert [(e["step"], e["kind"]) for e in run.events if e["type"] == "phase"] == [
        (5, "lbfgs")]


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
