"""``diffwire export model.diffwire -o model.py``."""

import subprocess
import sys

import numpy as np
import pytest

import diffwire as dw
from diffwire import cli
from diffwire.cli import main

from export_util import ROOT, block_graph
from train_util import mlp_graph, sine_data


def test_cli_export_writes_a_module_that_reads_back(tmp_path, capsys):
    g = block_graph(dw.BLOCKS["MLP"])
    src = g.save(tmp_path / "model.diffwire")
    assert main(["export", str(src), "-o", str(tmp_path / "model.py")]) == 0
    assert dw.from_python(tmp_path / "model.py") == g
    assert main(["export", str(src)]) == 0  # default: beside the document
    assert (tmp_path / "model.py").read_text() == dw.export(g)


def test_cli_export_bad_file_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.diffwire"
    bad.write_text('{"format": "diffwire/1", "nodes": [{"id": "m", "type": "Nope"}], "edges": []}')
    assert main(["export", str(bad), "-o", str(tmp_path / "out.py")]) == 2
    assert not (tmp_path / "out.py").exists()
    assert "Nope" in capsys.readouterr().err


def test_cli_as_a_process(tmp_path):
    g = block_graph(dw.BLOCKS["Linear"])
    src = g.save(tmp_path / "lin.diffwire")
    env = {"PYTHONPATH": str(ROOT / "kernel_lib")}
    done = subprocess.run([sys.executable, "-m", "diffwire.cli", "export", str(src), "-o", "-"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "class Model(nn.Module)" in done.stdout


def test_cli_export_warns_about_a_broken_training_section(tmp_path, capsys):
    # used to export silently (exit 0); the script's train() then died with KeyError: 'mes'
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
