"""Text that came from a document (ids, labels, names, paths) reaches the terminal with its
control characters escaped: an id cannot clear the screen or retitle the window."""

import json

import numpy as np

import diffwire as dw
from diffwire import cli
from diffwire.errors import printable

from train_util import mlp_graph

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\r\u202e\x9b31m"


def test_printable_escapes_every_control_character():
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("tab\there\nline") == "tab\\x09here\\x0aline"
    assert printable("keep\nlines", newlines=True) == "keep\nlines"
    assert printable("\u202eevil\x9b\x7f") == "\\u202eevil\\x9b\\x7f"
    assert printable("ünïcödé 💥 ok") == "ünïcödé 💥 ok"


def test_errors_never_carry_control_characters():
    e = dw.GraphError(f"message {HOSTILE}", node=HOSTILE, port=HOSTILE, expected=HOSTILE,
                      found=HOSTILE, hint=HOSTILE)
    text = str(e)
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f or c == "\u202e" for c in text)
    assert "\\x1b[2J" in text and e.node == HOSTILE  # the value itself is kept for programs


def test_cli_output_escapes_document_text(tmp_path, capsys):
    g = mlp_graph()
    doc = g.to_dict()
    for nd in doc["nodes"]:
        nd["label"] = HOSTILE
    doc["training"] = {"data": {HOSTILE: {"source": "kernel", "name": HOSTILE},
                                "x": {"source": "file", "path": HOSTILE + ".npz"}},
                       "loss": {"output": HOSTILE, "target": HOSTILE}, HOSTILE: 1}
    doc["nodes"].append({"id": "opt", "type": "Optimizer", "params": {"kind": HOSTILE}})
    path = tmp_path / f"m{HOSTILE[:2]}.diffwire"
    path.write_text(json.dumps(doc))
    assert cli.main(["validate", str(path)]) == 2
    assert cli.main(["train", str(path), "--quiet", "--out", str(tmp_path / "r")]) == 2
    cap = capsys.readouterr()
    out = cap.out + cap.err
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out and "\u202e" not in out
    assert "\x9b" not in out and "\\x1b" in out


def test_a_failed_run_reports_without_raw_escapes(tmp_path, capsys):
    g = mlp_graph()
    g.node("mlp").label = HOSTILE
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 1), np.float32), y=np.zeros((4, 1), np.float32))
    dw.training_config(g, data={"x": {"source": "file", "path": "d.npz"},
                                "y": {"source": "file", "path": "d.npz"}},
                       loss={"output": "y", "target": "y", "fn": "mse"}, steps=2)
    g.nodes["mlp"].params["widths"] = [3, 4, 1]  # x is [4, 1]: fails at the first step
    path = g.save(tmp_path / "m.diffwire")
    code = cli.main(["train", str(path), "--quiet", "--out", str(tmp_path / "r")])
    cap = capsys.readouterr()
    assert code != 0
    assert "\x1b" not in cap.err + cap.out
