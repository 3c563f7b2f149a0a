"""dw.ablate on a person's own UDE graph: terms marked on the canvas (or listed), every
subset and the controls built from the graph and its training section, results kept in
the document's runs folder and read back; bad input named by node and parameter; a
variant whose solve blows up recorded as failed while the experiment goes on."""

from __future__ import annotations

import json
import math
import pathlib
import shutil

import pytest
import torch

import diffwire as dw
from diffwire.train.ablation import resolve_terms, variants
from diffwire.train.ablation.terms import build, flipped_expr, zero_expr

from train_util import short_lv_ablation

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"
TINY = {"adam": 3, "lr": 0.05}


@pytest.fixture
def lv_doc(tmp_path):
    return short_lv_ablation(tmp_path)


def test_marked_terms_are_the_fields_expressions_with_the_flag():
    g = dw.load(DEMOS / "lotka_volterra_ablation.diffwire")
    terms = resolve_terms(g, None)
    assert [t.path for t in terms] == ["solve/field/prey_growth", "solve/field/predator_death"]
    # the flag is an ordinary block param: the Inspector draws it as a checkbox
    spec = next(p for p in dw.catalog()["blocks"] if p["type"] == "Expression")["params"]
    assert {"name": "ablatable", "kind": "bool"}.items() <= next(
        p for p in spec if p["name"] == "ablatable").items()
    # the plain LV UDE marks nothing, but its term can be listed by id
    lv = dw.load(DEMOS / "lotka_volterra_ude.diffwire")
    assert [t.path for t in resolve_terms(lv, ["known"])] == ["solve/field/known"]


def test_variants_are_every_subset_plus_the_controls_and_each_compiles():
    g = dw.load(DEMOS / "lotka_volterra_ablation.diffwire")
    terms = resolve_terms(g, None)
    vs = variants(g, terms)
    assert [v.kind for v in vs] == ["ude"] * 4 + ["black_box", "wrong"]
    assert {v.terms for v in vs[:4]} == {(), ("solve/field/prey_growth",),
                                         ("solve/field/predator_death",),
                                         ("solve/field/prey_growth", "solve/field/predator_death")}
    assert vs[0].name == "none (neural ODE)"  # every term of the field withheld
    y0, t = torch.tensor([0.44, 4.6]), torch.linspace(0, 1, 5)
    outs = {}
    for v in vs:
        vg = build(g, terms, v, dim=2, n_params=67)
        assert [e for e in vg.validate() if e.severity == "error"] == []
        outs[v.name] = vg.compile(seed=0)(y0=y0, t=t)
        assert outs[v.name].shape == (5, 2)
    # withholding zeroes the term: the neural ODE's field is the network alone
    field = build(g, terms, vs[0], 2, 67).node("solve").body["field"]
    assert field.node("prey_growth").params["expr"] == "0*(alpha*y[0]), 0*(0*y[1])"
    # the wrong control flips the first term's sign, the other terms supplied
    wrong = build(g, terms, vs[-1], 2, 67).node("solve/field/prey_growth").params["expr"]
    assert wrong == "-(alpha*y[0]), -(0*y[1])"
    assert not torch.allclose(outs["wrong term"], outs["prey_growth + predator_death"])
    # the black box has no ODESolve and about as many weights as the field's network
    bb = build(g, terms, vs[-2], 2, 67)
    assert "solve" not in bb.nodes
    n = sum(p.numel() for p in bb.compile(seed=0).parameters())
    assert abs(n - 67) <= 0.2 * 67


def test_only_the_varied_terms_change_and_unvaried_ones_stay():
    g = dw.load(DEMOS / "lotka_volterra_ablation.diffwire")
    terms = resolve_terms(g, ["predator_death"])
    vs = variants(g, terms, controls=("neural",))
    assert [v.name for v in vs] == ["none of the varied terms", "predator_death",
                                    "none (neural ODE)"]
    kept = build(g, terms, vs[0], 2, 67).node("solve/field/prey_growth").params["expr"]
    assert kept == "alpha*y[0], 0*y[1]"
    neural = build(g, terms, vs[2], 2, 67).node("solve/field/prey_growth").params["expr"]
    assert neural.startswith("0*(")


def test_expression_rewrites_keep_components():
    assert zero_expr("(a*y[0]), (-d*y[1])") == "0*((a*y[0])), 0*((-d*y[1]))"
    assert flipped_expr("sin(a*y[0])*y[1]") == "-(sin(a*y[0])*y[1])"


def test_ablate_the_document_and_reload_its_results(lv_doc):
    g = dw.load(lv_doc)
    seen = []
    result = dw.ablate(g, seeds=2, budget=TINY, fractions=(0.5, 1.0), backend="inline",
                       horizons=(2, 10), document=lv_doc,
                       on_progress=lambda done, total, row: seen.append((done, total)))
    # 4 subsets + black box + wrong term, two fractions, two seeds
    assert len(result.rows) == 6 * 2 * 2 == len(seen) and seen[-1] == (24, 24)
    assert len(result.summary) == 12
    for row in result.summary:
        assert row["n"] == 2 and row["failures"] == 0, row
        assert row["train_loss"] > 0 and row["interp_rmse"] > 0
        assert row["extrap2x_rmse_lo"] <= row["extrap2x_rmse"] <= row["extrap2x_rmse_hi"]
        assert math.isfinite(row["bic"]) and row["ic_rank"] in range(1, 7)
    # NFE counted for ODE variants, none for the black box
    assert all(r["nfe"] > 0 for r in result.summary if r["kind"] != "black_box")
    assert all(r["nfe"] == 0 for r in result.summary if r["kind"] == "black_box")
    # kept beside the document, and read back equal
    assert result.path.parent == lv_doc.with_name("lv.runs")
    assert result.path.name.startswith("ablation-")
    assert (result.path / "results.csv").read_text().count("\n") == 1 + 12
    doc = json.loads((result.path / "results.json").read_text())  # plain JSON, no Infinity
    assert doc["meta"]["terms"] == ["solve/field/prey_growth", "solve/field/predator_death"]
    back = dw.load_ablation(result.path)
    assert back.summary == result.summary and back.meta["seeds"] == [0, 1]
    assert [a["id"] for a in dw.ablations(lv_doc)] == [result.path.name]
    assert dw.runs(lv_doc) == []  # the runs list is not confused by the ablation's folder
    assert "BIC rank" in back.to_markdown() and set(back.figures()) == {"errors", "data_fraction"}


def test_local_processes_give_the_inline_rows(lv_doc):
    g = dw.load(lv_doc)
    kw = dict(terms=["prey_growth"], seeds=1, budget=TINY, horizons=(2,), controls=(),
              save=False, document=lv_doc)
    a = dw.ablate(g, backend="inline", **kw)
    b = dw.ablate(g, backend="local", workers=1, **kw)
    assert [r["variant"] for r in a.rows] == [r["variant"] for r in b.rows]
    for x, y in zip(a.rows, b.rows):
        assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-9)


def test_a_variant_that_blows_up_is_recorded_and_the_rest_go_on(lv_doc):
    g = dw.load(lv_doc)
    result = dw.ablate(g, terms=["prey_growth"], seeds=1, budget=TINY, horizons=(2,),
                       controls=("wrong",), wrong={"prey_growth": "exp(50*y[0]), 0*y[1]"},
                       backend="inline", document=lv_doc)
    by = {r["variant"]: r for r in result.summary}
    bad = by["wrong term"]
    assert bad["failures"] == 1 and bad["reasons"]
    assert "solve" in bad["reasons"][0] and math.isinf(bad["interp_rmse"])
    assert by["prey_growth"]["failures"] == 0 and math.isfinite(by["prey_growth"]["interp_rmse"])
    assert "diverged" in result.to_markdown()
    back = dw.load_ablation(result.path)
    assert back.summary[-1]["reasons"] == bad["reasons"]


def test_the_spec_path_still_runs_through_dw_ablate():
    r = dw.ablate("lotka_volterra", terms=[], seeds=1, budget=TINY, backend="inline",
                  horizons=(2,), problem_kwargs={"n": 6, "t_end": 0.5})
    assert {row["variant"] for row in r.summary} == {"none (neural ODE)", "black box (no ODE)",
                                                    "wrong term"}


# -- bad input ---------------------------------------------------------------------------

def _error(fn, **kw) -> dw.GraphError:
    with pytest.raises(dw.GraphError) as info:
        fn(**kw)
    return info.value


def test_a_term_outside_a_vector_field_names_the_node(lv_doc):
    g = dw.load(lv_doc)
    e = _error(dw.ablate, graph=g, terms=["U"], backend="inline")
    assert (e.node, e.port) == ("U", "terms") and "MLP" in str(e)
    e = _error(dw.ablate, graph=g, terms=["nowhere"], backend="inline")
    assert (e.node, e.port) == ("nowhere", "terms")
    # an Expression marked ablatable outside any field
    top = g.add("Expression", id="stray", expr="y*2", inputs=["y"], ablatable=True)
    del top
    e = _error(dw.ablate, graph=g, backend="inline")
    assert (e.node, e.port) == ("stray", "ablatable") and "not in a vector field" in str(e)


def test_a_graph_without_an_odesolve_is_refused():
    g = dw.load(DEMOS / "quickstart.diffwire")
    e = _error(dw.ablate, graph=g, terms=["f"])
    assert e.port == "terms" and "no ODESolve" in str(e)


def test_nothing_marked_says_how_to_mark():
    g = dw.load(DEMOS / "lotka_volterra_ude.diffwire")
    e = _error(dw.ablate, graph=g)
    assert e.port == "terms" and "solve/field/known" in str(e) and "ablatable" in str(e)


@pytest.mark.parametrize("kw, port", [
    ({"seeds": 0}, "seeds"), ({"seeds": 101}, "seeds"), ({"seeds": [1, 1]}, "seeds"),
    ({"seeds": [-1]}, "seeds"), ({"seeds": "5"}, "seeds"),
    ({"budget": 0}, "budget.adam"), ({"budget": 10**6}, "budget.adam"),
    ({"budget": {"adam": 5, "lbfgs": -1}}, "budget.lbfgs"),
    ({"budget": {"adam": 5, "lr": 0}}, "budget.lr"), ({"budget": {"sgd": 5}}, "budget.sgd"),
    ({"fractions": (0.0,)}, "fractions"), ({"fractions": (1.5,)}, "fractions"),
    ({"controls": ("oracle",)}, "controls"), ({"backend": "slurm"}, "backend"),
    ({"wrong": {"prey_growth": "y[0] +"}}, "wrong"), ({"wrong": {"U": "y"}}, "terms"),
])
def test_out_of_range_arguments_name_the_parameter(lv_doc, kw, port):
    g = dw.load(lv_doc)
    args = {"graph": g, "backend": "inline", "save": False, **kw}
    e = _error(dw.ablate, **args)
    assert e.port == port, str(e)


def test_copies_of_the_document_ablate_alike(lv_doc, tmp_path):
    """The same graph from another folder: data come from its training section, results go
    beside that copy."""
    other = tmp_path / "copy" / "lv.diffwire"
    other.parent.mkdir()
    shutil.copy(lv_doc, other)
    r = dw.ablate(dw.load(other), terms=["predator_death"], seeds=1, budget=TINY,
                  controls=(), horizons=(2,), backend="inline", document=other)
    assert r.path.parent == other.with_name("lv.runs")


def test_a_field_without_expression_terms_says_so_at_the_field():
    """A pure neural ODE has nothing to ablate: the error names its field, not an empty
    list of markable terms."""
    g = dw.ode.neural_ode(2)
    e = _error(dw.ablate, graph=g)
    assert (e.node, e.port) == ("solve/field", "terms")
    assert "holds no Expression term" in str(e) and "MLP" in str(e)


def _windowed(path, length: int) -> dw.Graph:
    """The LV document training on random windows of its trajectory (y0 fed by them)."""
    g = dw.load(path)
    del g.training["data"]["y0"]
    g.training["data"]["y"]["window"] = {"length": length, "batch_size": 2, "time": "t",
                                         "start": "y0"}
    return g


def test_a_window_longer_than_the_trajectory_names_the_node_and_parameter(lv_doc):
    """The ablation fits whole trajectories, but a document's window spec is still its
    own: a bad one is named before any job runs (it was ignored, the y0 it feeds missing)."""
    e = _error(dw.ablate, graph=_windowed(lv_doc, 60), terms=["prey_growth"], seeds=1,
               budget=2, backend="inline", save=False)
    assert (e.node, e.port) == ("solve", "training.data.y.window.length")
    assert "longer than the trajectory" in str(e) and "11" in str(e)


def test_a_windowed_document_ablates_on_its_whole_trajectory(lv_doc):
    r = dw.ablate(_windowed(lv_doc, 5), terms=["prey_growth"], seeds=1, budget=TINY,
                  controls=(), horizons=(2,), backend="inline", save=False)
    assert len(r.rows) == 2 and all(row["failure"] is None for row in r.rows)
    assert all(row["n_obs"] == 11 * 2 for row in r.rows)
