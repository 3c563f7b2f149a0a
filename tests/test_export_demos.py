"""Every demo graph exports, loads the compiled weights and matches: the .diffwire files
shipped in demos/ and tests/fixtures/, and the graphs the demo notebooks build."""

import pathlib

import pytest
import torch

import diffwire as dw
from diffwire import ode

from export_util import ROOT, assert_same, example_inputs, load_source
from helpers import encoder_graph

FILES = sorted((ROOT / "demos").glob("*.diffwire")) + sorted(
    (ROOT / "tests" / "fixtures").glob("*.diffwire"))



BUILT = {
    "quickstart": encoder_graph,
    "lotka_volterra_ude": lambda: ode.lotka_volterra_ude(),
    "lotka_volterra_ude_learned": lambda: ode.lotka_volterra_ude(learn_known=True,
                                                                 method="builtin_rk4"),
    "spiral_neural_ode": lambda: ode.neural_ode(2, hidden=(16,), method="rk4"),
}


def _check(g, tmp_path):
    compiled = g.compile(seed=0)
    exported = load_source(dw.export(g), tmp_path).Model()
    exported.load_state_dict(compiled.state_dict())
    inputs = example_inputs(g)
    for n, x in zip(g.inputs(), inputs):
        if n.params["kind"] == "time":
            x.data = torch.linspace(0.0, 1.0, 7)
            x.requires_grad_(False)
        elif n.params["kind"] == "state":  # positive populations keep the fields tame
            x.data = x.data.abs() + 0.5
    assert_same(compiled, exported, inputs)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_demo_file_exports(path: pathlib.Path, tmp_path):
    _check(dw.load(path), tmp_path)


@pytest.mark.parametrize("name", sorted(BUILT))
def test_demo_graph_exports(name, tmp_path):
    _check(BUILT[name](), tmp_path)
