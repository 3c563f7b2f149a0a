"""The Ablation panel, kernel side: the field's terms as checkboxes (the Expression nodes'
`ablatable` flags), an ablation started from the panel with its progress streamed, the
result kept in the document's runs folder and sent again when the document is reopened,
a stop, and bad input answered as an event while the kernel lives on."""

from __future__ import annotations

import json
import pathlib

import diffwire as dw
from diffwire.widget import ablation

from helpers import EventRecorder
from train_util import short_lv_ablation, wait_for

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"


def cmd(ed, **content):
    ed._on_msg(ed, content, [])


def open_lv(tmp_path):
    path = short_lv_ablation(tmp_path)
    ed = dw.Editor(path)
    return path, ed, EventRecorder(ed)


def start(ed, rec, timeout=300, **content):
    """Start an ablation and wait for its end: the thread's last word is an
    ablation_terms event (the kept list, running false)."""
    seen = len(rec.of("ablation_terms"))
    cmd(ed, cmd="ablation_start", **content)
    assert wait_for(lambda: not ablation._running(ed) and len(rec.of("ablation_terms")) > seen,
                    timeout)


def test_terms_are_the_fields_expressions_with_their_flags(tmp_path):
    path, ed, rec = open_lv(tmp_path)
    cmd(ed, cmd="ablation_terms")
    (ev,) = rec.of("ablation_terms")
    assert [(t["path"], t["marked"]) for t in ev["terms"]] == [
        ("solve/field/prey_growth", True), ("solve/field/predator_death", True)]
    assert ev["note"] is None and ev["kept"] == [] and ev["running"] is False
    # unticking in the panel writes the flag into the document; the kernel sees it
    ed.graph.node("solve/field/predator_death").params["ablatable"] = False
    cmd(ed, cmd="ablation_terms")
    assert [t["marked"] for t in rec.of("ablation_terms")[-1]["terms"]] == [True, False]


def test_a_graph_without_an_odesolve_says_so(tmp_path):
    path = tmp_path / "q.diffwire"
    dw.load(DEMOS / "quickstart.diffwire").save(path)
    ed = dw.Editor(path)
    rec = EventRecorder(ed)
    cmd(ed, cmd="ablation_terms")
    (ev,) = rec.of("ablation_terms")
    assert ev["terms"] == [] and "no ODESolve" in ev["note"]
    start(ed, rec, terms=[], seeds=1, budget=2, backend="inline")
    (err,) = rec.of("ablation_error")
    assert "no ODESolve" in err["message"] and err["error"]["port"] == "terms"


def test_start_streams_progress_keeps_the_result_and_reopens_it(tmp_path):
    path, ed, rec = open_lv(tmp_path)
    start(ed, rec, terms=["solve/field/prey_growth"], seeds=2, budget=3, fractions=[1.0],
          backend="inline", wrong={"solve/field/predator_death": None})
    assert not rec.of("ablation_error"), rec.of("ablation_error")
    prog = [e for e in rec.of("ablation_progress") if e["total"]]
    # 2 subsets + neural ODE + black box + wrong term, two seeds
    assert [e["done"] for e in prog] == list(range(1, 11)) and prog[-1]["total"] == 10
    (res,) = rec.of("ablation_result")
    assert res["id"].startswith("ablation-")
    assert [r["variant"] for r in res["summary"]] == [
        "none of the varied terms", "prey_growth", "none (neural ODE)",
        "black box (no ODE)", "wrong term"]
    assert {c[0] for c in res["columns"]} >= {"extrap2x_rmse", "extrap10x_rmse", "ic_rank"}
    # the wrong term the person chose, its sign flipped
    assert res["meta"]["wrong"] == ["solve/field/predator_death", "-(0*y[0]), -(-delta*y[1])"]
    json.dumps(res, allow_nan=False)  # the browser's JSON.parse takes it
    kept = path.with_name("lv.runs") / res["id"]
    assert (kept / "results.json").is_file() and (kept / "results.csv").is_file()
    # the panel is told the run ended, with the kept list
    last = rec.of("ablation_terms")[-1]
    assert last["running"] is False and [k["id"] for k in last["kept"]] == [res["id"]]

    # the document reopened: a new editor finds the kept ablation and its result
    ed2 = dw.Editor(path)
    rec2 = EventRecorder(ed2)
    cmd(ed2, cmd="ablation_terms", latest=True)
    (again,) = rec2.of("ablation_result")
    assert again["id"] == res["id"] and again["summary"] == res["summary"]
    cmd(ed2, cmd="ablation_open", id=res["id"])
    assert len(rec2.of("ablation_result")) == 2


def test_stop_ends_the_ablation_without_keeping_it(tmp_path):
    path, ed, rec = open_lv(tmp_path)
    seen = len(rec.of("ablation_terms"))
    cmd(ed, cmd="ablation_start", seeds=5, budget=3, backend="inline")
    assert wait_for(lambda: any(e["total"] for e in rec.of("ablation_progress")), 120)
    cmd(ed, cmd="ablation_stop")
    assert wait_for(lambda: len(rec.of("ablation_terms")) > seen, 120)
    (err,) = rec.of("ablation_error")
    assert err["error"]["port"] == "stop"
    assert dw.ablations(path) == []


def test_bad_input_is_an_event_naming_the_parameter(tmp_path):
    path, ed, rec = open_lv(tmp_path)
    start(ed, rec, seeds=0, budget=3, backend="inline")
    start(ed, rec, seeds=1, budget=-5, backend="inline")
    start(ed, rec, terms=["U"], seeds=1, budget=3, backend="inline")
    ports = [(e["error"].get("node"), e["error"]["port"]) for e in rec.of("ablation_error")]
    assert ports == [(None, "seeds"), (None, "budget.adam"), ("U", "terms")]
    cmd(ed, cmd="ablation_open", id="../../etc")
    assert rec.of("error")[-1]["error"]["port"] == "ablation"
    cmd(ed, cmd="ablation_terms")  # the kernel side still answers
    assert rec.of("ablation_terms")[-1]["running"] is False
