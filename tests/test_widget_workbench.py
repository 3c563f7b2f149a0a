"""The editor's workbench, kernel side: the training catalogs, the data files beside a
document (and bad CSVs located by line and column), the Training panel's checks, the runs
table fed from the run store (list, series, diff, rename/pin/note, delete and undo),
fork, re-attaching a live run to a new view, and export with the chosen run's weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import diffwire as dw
from diffwire.train import catalog as cat
from diffwire.train.datafolder import data_files
from diffwire.widget import workbench

from helpers import EventRecorder, quickstart
from train_util import wait_for

SINE = {"x": {"source": "generator", "name": "sine", "kwargs": {"n": 32}},
        "y": {"source": "generator", "name": "sine", "kwargs": {"n": 32}}}


def cmd(ed, **content):
    ed._on_msg(ed, content, [])


@pytest.fixture
def doc(tmp_path):
    """A saved document with no training section, and an editor on it."""
    path = tmp_path / "model.diffwire"
    quickstart().save(path)
    ed = dw.Editor(path)
    rec = EventRecorder(ed)
    return path, ed, rec


def finish(ed, timeout=60):
    """Until the run's thread has ended: its record and weights are on disk by then."""
    assert wait_for(lambda: ed.control.run is not None and not ed.control.is_live()
                    and not ed.control.run.alive, timeout)


# -- catalogs -------------------------------------------------------------------------------

def test_generator_catalog_comes_from_the_registry_with_typed_params():
    gens = {g["name"]: g for g in dw.generator_catalog()}
    sine = gens["sine"]
    assert sine["keys"] == ["x", "y"]
    n = next(p for p in sine["params"] if p["name"] == "n")
    assert (n["kind"], n["default"], n["min"], n["max"]) == ("int", 128, 1, 1_000_000)
    assert sine["doc"].startswith("y = sin(x) (+ Gaussian noise)")
    assert gens["lotka_volterra"]["keys"] == ["t", "y", "y0", "clean"]

    @dw.register_generator("parabola_wb", keys=["x", "y"])
    def parabola(n: int = 16, scale: float = 1.0):
        """A parabola on [-1, 1]."""
        x = np.linspace(-1, 1, n)[:, None]
        return {"x": x, "y": scale * x**2}

    try:
        entry = next(g for g in dw.generator_catalog() if g["name"] == "parabola_wb")
        assert entry["doc"] == "A parabola on [-1, 1]."
        assert [p["name"] for p in entry["params"]] == ["n", "scale"]
    finally:
        from diffwire.train import generators

        for table in (generators.GENERATORS, generators.PARAMS, generators.KEYS):
            table.pop("parabola_wb", None)


def test_loss_catalog_and_setting_fields_follow_the_library_and_schema():
    from diffwire.train.losses import FNS

    assert [entry["name"] for entry in dw.loss_catalog()] == list(FNS)
    fields = {f["name"]: f for f in cat.section_fields()}
    assert list(fields) == list(cat.FORM_FIELDS)
    assert fields["steps"]["kind"] == "int" and fields["steps"]["min"] == 0
    assert fields["batch_size"]["nullable"] is True
    assert fields["val_split"]["kind"] == "float" and fields["val_split"]["max"] < 1
    # checkpoint retention (issue 20): keep the last K, and the best by validation loss,
    # with the run's defaults shown in the form
    keep = fields["keep_checkpoints"]
    assert (keep["kind"], keep["min"], keep["default"]) == ("int", 0, 5)
    assert (fields["keep_best"]["kind"], fields["keep_best"]["default"]) == ("bool", True)
    assert "default" not in fields["steps"]  # no default: the field stays empty
    # compiled ODE solves (issue 13): a menu of the section's three values, off by default
    comp = fields["compile"]
    assert (comp["kind"], comp["choices"], comp["default"]) == ("choice", [False, True, "auto"],
                                                                False)
    assert "native code" in comp["doc"]


def test_retention_settings_are_checked_on_their_fields(doc):
    _, ed, rec = doc
    ed.graph.training = {"data": SINE, "loss": "mse", "steps": 5, "keep_checkpoints": -1,
                         "keep_best": "yes"}
    cmd(ed, cmd="check_training")
    ports = {e["port"] for e in rec.of("training_errors")[-1]["errors"]}
    assert {"training.keep_checkpoints", "training.keep_best"} <= ports
    ed.graph.training = {**ed.graph.training, "keep_checkpoints": 2, "keep_best": False}
    cmd(ed, cmd="check_training")
    assert rec.of("training_errors")[-1]["errors"] == []


def test_the_editor_answers_catalog_and_form_commands(doc):
    _, ed, rec = doc
    cmd(ed, cmd="training_catalog")
    (ev,) = rec.of("training_catalog")
    assert {"generators", "losses", "fields"} <= set(ev)
    cmd(ed, cmd="check_training")
    (ev,) = rec.of("training_errors")
    assert ev["inputs"] == ["x"] and ev["outputs"] == ["y"] and ev["errors"] == []
    assert rec.of("training_catalog")[0]["given"] == {"data": [], "settings": []}


def test_the_panel_is_told_what_train_options_give_in_python():
    X = torch.linspace(-1, 1, 16)[:, None]
    ed = dw.Editor(quickstart(), train_options={"data": {"x": X, "y": X}, "loss": "mse",
                                                  "steps": 10, "callbacks": []})
    rec = EventRecorder(ed)
    cmd(ed, cmd="training_catalog")
    assert rec.of("training_catalog")[-1]["given"] == {"data": ["x", "y"], "settings": ["loss", "steps"]}


# -- data files ---------------------------------------------------------------------------------

def test_data_files_lists_csv_columns_preview_and_npz_shapes(tmp_path):
    (tmp_path / "d.csv").write_text("t,x,y\n" + "\n".join(f"{i},{i / 10},{i * i}" for i in range(20)) + "\n")
    np.savez(tmp_path / "a.npz", x=np.zeros((7, 2), np.float32), y=np.ones(7))
    (tmp_path / "notes.txt").write_text("no")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "hidden.csv").write_text("a\n1\n")
    files = {f["path"]: f for f in data_files(tmp_path)}
    assert sorted(files) == ["a.npz", "d.csv"]
    d = files["d.csv"]
    assert d["columns"] == ["t", "x", "y"] and d["rows"] == 20
    assert d["preview"][:2] == [[0.0, 0.0, 0.0], [1.0, 0.1, 1.0]] and len(d["preview"]) == 5
    arrays = {a["key"]: a for a in files["a.npz"]["arrays"]}
    assert arrays["x"]["shape"] == [7, 2] and arrays["x"]["dtype"] == "float32"


def test_a_link_out_of_the_folder_is_not_listed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("a\n1\n")
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "linked.csv").symlink_to(outside / "secret.csv")
    assert data_files(folder) == []


@pytest.mark.parametrize("text, line, column, words", [
    ("x,y\n1,2\n3,abc\n", 3, "y", "line 3, column 2 ('y'): not a number"),
    ("x,y\n1,2\n3\n", 3, "y", "line 3: 1 values, but the header names 2 columns (no value for 'y')"),
    ("x,y\n1,2,3\n", 2, None, "line 2: 3 values, but the header names 2 columns"),
    ("x,x\n1,2\n", 1, "x", "line 1: column name 'x' is repeated"),
    ("x,y\n", 2, None, "has no data rows"),
])
def test_bad_csvs_are_located_by_file_line_and_column(tmp_path, text, line, column, words):
    (tmp_path / "bad.csv").write_text(text)
    (entry,) = data_files(tmp_path)
    assert entry["error"].startswith("bad.csv")
    assert words in entry["error"]
    assert (entry["line"], entry["column"]) == (line, column)


def test_a_bad_csv_in_the_section_is_an_error_on_its_field(doc):
    path, ed, rec = doc
    (path.parent / "bad.csv").write_text("x,y\n1,2\n3\n")
    ed.graph.training = {"data": {"x": {"source": "file", "path": "bad.csv", "columns": ["x"]},
                                  "y": {"source": "file", "path": "bad.csv", "columns": ["y"]}},
                         "loss": "mse", "steps": 5}
    cmd(ed, cmd="check_training")
    errors = rec.of("training_errors")[-1]["errors"]
    located = [e for e in errors if e["port"] == "training.data.x"]
    assert located and "bad.csv, line 3" in located[0]["message"]
    cmd(ed, cmd="data_files")
    (entry,) = rec.of("data_files")[-1]["files"]
    assert entry["path"] == "bad.csv" and entry["line"] == 3


def test_a_missing_column_names_file_and_columns(doc):
    path, ed, rec = doc
    (path.parent / "d.csv").write_text("x,y\n1,2\n")
    ed.graph.training = {"data": {"x": {"source": "file", "path": "d.csv", "columns": ["x"]},
                                  "y": {"source": "file", "path": "d.csv", "columns": ["z"]}},
                         "loss": "mse", "steps": 5}
    cmd(ed, cmd="check_training")
    (e,) = [e for e in rec.of("training_errors")[-1]["errors"] if e["port"] == "training.data.y"]
    assert "d.csv, line 1: no column(s) ['z']" in e["message"]


def test_kernel_variables_are_the_notebooks_tensors_and_arrays(monkeypatch):
    import __main__

    monkeypatch.setattr(__main__, "X_wb", torch.zeros(5, 2), raising=False)
    monkeypatch.setattr(__main__, "Y_wb", np.ones(3), raising=False)
    monkeypatch.setattr(__main__, "n_wb", 3, raising=False)
    found = {v["name"]: v for v in workbench.kernel_variables()}
    assert found["X_wb"] == {"name": "X_wb", "shape": [5, 2], "dtype": "torch.float32", "kind": "tensor"}
    assert found["Y_wb"]["shape"] == [3] and found["Y_wb"]["kind"] == "array"
    assert "n_wb" not in found


# -- train, runs, diff, labels, delete, fork -------------------------------------------------------

def test_train_without_a_section_opens_the_panel_instead_of_an_error(doc):
    _, ed, rec = doc
    cmd(ed, cmd="train")
    assert rec.of("training_needed") and not rec.of("error")
    assert ed.control.run is None


def test_section_errors_from_train_reach_the_field(doc):
    _, ed, rec = doc
    ed.graph.training = {"data": {"x": {"source": "generator", "name": "sine", "kwargs": {"n": 0}},
                                  "y": SINE["y"]}, "loss": "mse", "steps": 5}
    cmd(ed, cmd="train")
    ports = [e["port"] for ev in rec.of("training_errors") for e in ev["errors"]]
    assert any(p and p.startswith("training.data.x") for p in ports)


def test_runs_are_kept_listed_compared_labelled_deleted_restored_and_forked(doc):
    path, ed, rec = doc
    ed.graph.training = {"data": SINE, "loss": "mse", "steps": 30, "seed": 0,
                         "checkpoint_every": 10}
    cmd(ed, cmd="train")
    finish(ed)
    ed.graph.node("mlp").params["widths"] = [1, 16, 1]
    ed.graph.training = {**ed.graph.training, "steps": 40}
    cmd(ed, cmd="train")
    finish(ed)
    cmd(ed, cmd="runs")
    runs = rec.of("runs")[-1]["runs"]
    assert rec.of("runs")[-1]["folder"] == "model.runs"
    assert len(runs) == 2 and all(r["state"] == "finished" for r in runs)
    a, b = runs[0]["id"], runs[1]["id"]
    assert runs[0]["step"] == 30 and runs[1]["step"] == 40
    assert runs[0]["loss"] is not None and runs[0]["best_loss"] <= runs[0]["loss"] + 1e-12
    assert 30 in runs[0]["checkpoints"]

    cmd(ed, cmd="run_series", ids=[a, b], colors={a: "#111111", b: "#222222"},
        names={a: "run 1"})
    series = rec.of("run_series")[-1]
    assert set(series["runs"]) == {a, b} and series["colors"] == {a: "#111111", b: "#222222"}
    assert series["names"] == {a: "run 1", b: b}  # the table's names; else the run's id
    assert len(series["runs"][a]["loss"]["step"]) == 30 and len(series["runs"][b]["loss"]["value"]) == 40

    cmd(ed, cmd="run_diff", a=a, b=b)
    diff = rec.of("run_diff")[-1]
    assert diff["graph"]["changed"] == [{"node": "mlp", "params": {"widths": [[1, 8, 1], [1, 16, 1]]}}]
    assert {"key": "training.steps", "a": 30, "b": 40} in diff["hparams"]
    assert {"key": "steps", "a": 30, "b": 40} in diff["hparams"]

    cmd(ed, cmd="run_label", id=a, name="small", pinned=True, note="baseline")
    row = next(r for r in rec.of("runs")[-1]["runs"] if r["id"] == a)
    assert (row["name"], row["pinned"], row["note"]) == ("small", True, "baseline")
    assert json.loads((path.parent / "model.runs" / a / "label.json").read_text())["name"] == "small"
    assert json.loads((path.parent / "model.runs" / a / "run.json").read_text())["format"]

    cmd(ed, cmd="run_delete", id=b)
    assert rec.of("run_deleted")[-1]["id"] == b
    assert [r["id"] for r in rec.of("runs")[-1]["runs"]] == [a]
    cmd(ed, cmd="run_restore", id=b)
    assert [r["id"] for r in rec.of("runs")[-1]["runs"]] == [a, b]

    # fork: the first run's checkpoint at step 20, with the graph as edited now
    cmd(ed, cmd="fork", id=a, step=20)
    finish(ed)
    cmd(ed, cmd="runs")
    forked = rec.of("runs")[-1]["runs"][-1]
    assert (forked["parent"], forked["parent_step"]) == (a, 20)
    assert forked["step"] == 40

    # a reopened document finds all its runs on disk
    ed2 = dw.Editor(path)
    rec2 = EventRecorder(ed2)
    cmd(ed2, cmd="runs")
    assert [r["id"] for r in rec2.of("runs")[-1]["runs"]] == [a, b, forked["id"]]


def test_bad_run_ids_are_refused(doc):
    _, ed, rec = doc
    for rid in ("../x", ".trash", "", None, "nope"):
        cmd(ed, cmd="run_label", id=rid, name="x")
    assert len(rec.of("error")) == 5


def test_a_live_run_reattaches_to_a_new_view(doc):
    path, ed, rec = doc
    ed.graph.training = {"data": SINE, "loss": "mse", "steps": 1_000_000}
    cmd(ed, cmd="train")
    try:
        assert wait_for(lambda: ed.control.is_live() and ed.control.run.step > 2, 30)
        ed2 = dw.Editor(path)
        rec2 = EventRecorder(ed2)
        assert workbench.reattach(ed2)
        assert ed2.control.run is not None and ed.control.run is None
        assert wait_for(lambda: rec2.of("metrics"), 10)  # the stream goes to the new view
        cmd(ed2, cmd="runs")
        assert rec2.of("runs")[-1]["runs"][-1]["live"] is True
        cmd(ed2, cmd="stop")
        finish(ed2)
    finally:
        if ed.control.run is not None:
            ed.control.run.stop()


def test_a_live_run_is_named_in_status_with_its_optimizer_lr_and_rebuild_report(doc):
    """What the canvas shows of a run going now: its id (the runs table's row and the
    plots' overlay), the Optimizer node of its phase with the lr after a `set`, the
    rebuild report, and its series while it runs."""
    _, ed, rec = doc
    opt = ed.graph.add("Optimizer", kind="adam", lr=0.01)
    opt_id = getattr(opt, "id", opt)
    ed.graph.training = {"data": SINE, "loss": "mse", "steps": 1_000_000, "optimizer": opt_id}
    cmd(ed, cmd="train")
    try:
        assert wait_for(lambda: ed.control.is_live() and ed.control.run.step > 2, 30)
        run_id = ed.control.run.path.name
        assert wait_for(lambda: ed.status.get("run") == run_id
                        and ed.status.get("optimizer") == opt_id, 10), ed.status
        cmd(ed, cmd="runs")
        row = rec.of("runs")[-1]["runs"][-1]
        assert (row["id"], row["live"], row["state"]) == (run_id, True, "running")
        cmd(ed, cmd="set", name="lr", value=0.003)
        assert wait_for(lambda: ed.status.get("lr") == 0.003, 10)
        # the status after the set's step carries the lr the optimizer really has
        assert wait_for(lambda: ed.control.run.optimizer.param_groups[0]["lr"] == 0.003, 10)
        ed.graph.node("mlp").params["widths"] = [1, 12, 1]
        ed.refresh()
        cmd(ed, cmd="rebuild")
        assert wait_for(lambda: rec.of("rebuild"), 20)
        report = rec.of("rebuild")[-1]
        assert "mlp" in report["reset"] and "x" not in report["reset"] and report["step"] > 0
        assert any(e["type"] == "rebuild" and "mlp" in e["reset"] for e in ed.control.run.events)
        # a live run's kept series can be asked for while it runs (its curve so far)
        assert wait_for(lambda: (ed.control.run.path / "metrics").exists()
                        or ed.control.run.step > 200, 20)
        cmd(ed, cmd="run_series", ids=[run_id], colors={run_id: "#4e79a7"})
        assert rec.of("run_series")[-1]["colors"] == {run_id: "#4e79a7"}
        cmd(ed, cmd="stop")
        finish(ed)
        assert ed.status["optimizer"] is None and ed.status["run"] == run_id
    finally:
        if ed.control.run is not None:
            ed.control.run.stop()


def test_export_writes_the_chosen_runs_weights_with_a_loader(doc):
    path, ed, rec = doc
    ed.graph.training = {"data": SINE, "loss": "mse", "steps": 20}
    cmd(ed, cmd="train")
    finish(ed)
    rid = workbench.list_runs(ed)[-1]["id"]
    cmd(ed, cmd="export", run=rid)
    ev = rec.of("export")[-1]
    assert ev["weights"] == "model.pt"
    source = (path.parent / "model.py").read_text()
    assert f'model.load_state_dict(torch.load("model.pt", weights_only=True))  # run {rid}, step 20' in source
    # the two lines work in plain torch, without diffwire
    ns: dict = {}
    exec(compile(source, "model.py", "exec"), ns)  # noqa: S102 - our own exported file
    model = ns["Model"]()
    model.load_state_dict(torch.load(path.parent / "model.pt", weights_only=True))
    trained = dw.load_run(path.parent / "model.runs" / rid).model
    x = torch.linspace(-3, 3, 8)[:, None]
    assert torch.allclose(model(x=x), trained(x=x)) if not isinstance(model(x=x), dict) else True
    # an edited graph whose weights no longer fit is refused with the reason
    ed.graph.node("mlp").params["widths"] = [1, 4, 1]
    cmd(ed, cmd="export", run=rid)
    assert "do not fit" in rec.of("error")[-1]["message"]
