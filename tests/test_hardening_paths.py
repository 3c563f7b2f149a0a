"""Symlink battery: data paths, run folders and checkpoints are resolved before use, and
nothing outside the document's folder is read, trained on, echoed or written."""

import os
import pathlib

import numpy as np
import pytest

import diffwire as dw
from diffwire import cli

from train_util import mlp_graph, sine_data

SECRET = "SECRET_TOKEN_4f2a"


def layout(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """doc/ (the document's folder) and outside/ (holding files it must never reach)."""
    doc, outside = tmp_path / "doc", tmp_path / "outside"
    doc.mkdir()
    outside.mkdir()
    d = sine_data(16)
    np.savez(outside / "secret.npz", x=d["x"], y=d["y"])
    (outside / "secret.csv").write_text(f"x,y\n{SECRET},1\n")
    return doc, outside


def model(doc: pathlib.Path, path_x: str, path_y: str | None = None) -> pathlib.Path:
    g = mlp_graph()
    dw.training_config(g, data={"x": {"source": "file", "path": path_x},
                                "y": {"source": "file", "path": path_y or path_x}},
                       loss={"output": "y", "target": "y", "fn": "mse"}, steps=3)
    return g.save(doc / "model.diffwire")


def errors_of(path: pathlib.Path) -> list[dw.GraphError]:
    g = dw.load(path)
    return [e for e in dw.validate_training(g, root=path.parent, kernel=False)
            if e.severity == "error"]


@pytest.mark.parametrize("target", ["secret.npz", "secret.csv"])
def test_a_linked_file_pointing_outside_is_refused(tmp_path, capsys, target):
    doc, outside = layout(tmp_path)
    suffix = pathlib.Path(target).suffix
    os.symlink(outside / target, doc / f"data{suffix}")
    path = model(doc, f"data{suffix}")
    errs = errors_of(path)
    assert errs and all(e.port.startswith("training.data.") for e in errs)
    assert any("outside the document's folder" in str(e) for e in errs)
    assert not any(SECRET in str(e) for e in errs)
    assert cli.main(["validate", str(path)]) == 2
    out = tmp_path / "runs"
    assert cli.main(["train", str(path), "--out", str(out), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert SECRET not in captured.err + captured.out
    assert "outside the document's folder" in captured.err
    assert not out.exists()  # nothing trained, nothing written
    with pytest.raises(dw.GraphError, match="outside the document's folder"):
        dw.train(path, steps=1, progress=False, background=False)


def test_a_linked_folder_pointing_outside_is_refused(tmp_path, capsys):
    doc, outside = layout(tmp_path)
    os.symlink(outside, doc / "data", target_is_directory=True)
    path = model(doc, "data/secret.csv")
    errs = errors_of(path)
    assert errs and any("outside the document's folder" in str(e) for e in errs)
    assert cli.main(["validate", str(path)]) == 2
    assert SECRET not in capsys.readouterr().err


def test_links_that_stay_inside_the_folder_still_work(tmp_path):
    doc, _ = layout(tmp_path)
    d = sine_data(16)
    (doc / "store").mkdir()
    np.savez(doc / "store" / "real.npz", x=d["x"], y=d["y"])
    os.symlink(doc / "store" / "real.npz", doc / "alias.npz")
    os.symlink(doc / "store", doc / "linked", target_is_directory=True)
    for rel in ("alias.npz", "linked/real.npz"):
        path = model(doc, rel)
        assert errors_of(path) == []
        run = dw.train(path, steps=2, progress=False, background=False)
        assert run.state == "finished"


def test_the_document_folder_itself_may_be_reached_through_a_link(tmp_path):
    doc, _ = layout(tmp_path)
    d = sine_data(16)
    np.savez(doc / "data.npz", x=d["x"], y=d["y"])
    model(doc, "data.npz")
    os.symlink(doc, tmp_path / "via", target_is_directory=True)
    assert errors_of(tmp_path / "via" / "model.diffwire") == []


def test_a_bad_csv_is_reported_by_place_not_by_content(tmp_path):
    doc, _ = layout(tmp_path)
    (doc / "bad.csv").write_text(f"x,y\n1,2\n3,{SECRET}\n")
    errs = errors_of(model(doc, "bad.csv"))
    assert errs and all(SECRET not in str(e) for e in errs)
    assert any("line 3, column 2" in str(e) for e in errs)
    (doc / "latin.csv").write_bytes(b"x,y\n\xff\xfe,1\n")
    errs = errors_of(model(doc, "latin.csv"))
    assert any("not UTF-8" in str(e) for e in errs)


def test_a_fifo_named_like_data_is_not_read(tmp_path):
    doc, _ = layout(tmp_path)
    os.mkfifo(doc / "pipe.csv")  # opening it for reading would block forever
    errs = errors_of(model(doc, "pipe.csv"))
    assert any("not found" in str(e) for e in errs)


def test_a_run_folder_linked_outside_is_refused(tmp_path, capsys):
    doc, outside = layout(tmp_path)
    d = sine_data(16)
    np.savez(doc / "data.npz", x=d["x"], y=d["y"])
    path = model(doc, "data.npz")
    os.symlink(outside, doc / "runs", target_is_directory=True)
    before = sorted(p.name for p in outside.iterdir())
    assert cli.main(["train", str(path), "--out", str(doc / "runs"), "--quiet"]) == 2
    assert "leads elsewhere through a symbolic link" in capsys.readouterr().err
    with pytest.raises(dw.GraphError, match="symbolic link"):
        dw.train(path, out=doc / "runs", steps=1, progress=False, background=False)
    assert sorted(p.name for p in outside.iterdir()) == before
    # each run writes a folder of its own, made afresh inside the runs folder (store.py)
    run = dw.train(path, out=doc / "fresh", steps=2, progress=False, background=False)
    assert run.state == "finished" and (run.path / "weights.pt").is_file()
    assert run.path.parent == (doc / "fresh").resolve()


def test_a_checkpoint_linked_into_another_folder_is_refused(tmp_path):
    doc, outside = layout(tmp_path)
    d = sine_data(16)
    np.savez(doc / "data.npz", x=d["x"], y=d["y"])
    path = model(doc, "data.npz")
    run = dw.train(path, out=outside / "run", steps=2, progress=False, background=False)
    real = run.last_checkpoint
    os.symlink(real, doc / "ck.pt")
    with pytest.raises(dw.FormatError, match="link"):
        dw.resume(doc / "ck.pt", progress=False, start=False)
    assert dw.resume(real, progress=False, start=False, data_root=doc).step == 2
