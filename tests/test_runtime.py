"""One runtime (issue 12, point 3): the data generators an exported file runs are the
library's own functions, embedded verbatim, so the same seed gives the same data in a kernel
run and in the exported file with no diffwire installed."""

import numpy as np
import pytest
import torch

import diffwire as dw
from diffwire.ode import fixed_step
from diffwire.runtime import data as runtime_data
from diffwire.runtime import solvers
from diffwire.train.generators import generate

from export_util import load_source, load_training


def graph_with(bindings: dict) -> dw.Graph:
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    m = g.add("MLP", widths=[1, 4, 1])
    g.connect(x, m)
    g.add_output(m, name="y")
    g.training = {"data": bindings, "loss": "mse", "steps": 1}
    return g


def test_an_exported_file_draws_the_kernels_data_for_the_same_seed(tmp_path):
    sine = {"n": 40, "noise": 0.3, "seed": 7, "low": -2.0, "high": 5.0}
    lv = {"n": 21, "noise": 0.1, "seed": 3, "t_end": 4.0}
    g = graph_with({"x": {"source": "generator", "name": "sine", "kwargs": sine},
                    "y": {"source": "generator", "name": "sine", "kwargs": sine},
                    "extra": {"source": "generator", "name": "lotka_volterra", "kwargs": lv,
                              "key": "y"}})
    src, mod = load_training(g, tmp_path)
    # the library's functions, verbatim (the shared helpers once)
    assert src.count("def tight_solve(") == 1 and "def lotka_volterra_field(" in src
    for name, kwargs in (("sine", sine), ("lotka_volterra", lv)):
        kernel = generate(name, kwargs)
        exported = getattr(mod, name)(**kwargs)
        assert set(exported) == set(kernel)
        for key, value in kernel.items():
            assert np.array_equal(np.asarray(value), exported[key].numpy()), (name, key)
    # noise is drawn: a different seed gives different data
    assert not torch.equal(mod.sine(**{**sine, "seed": 8})["y"],
                           mod.sine(**sine)["y"])


def test_the_ode_problems_use_the_runtime_recipe():
    tr = dw.ode.lotka_volterra(n=11, noise=0.2, seed=5)
    made = runtime_data.lotka_volterra(n=11, noise=0.2, seed=5)
    for key in ("t", "y", "y0", "clean"):
        assert torch.equal(getattr(tr, key), made[key]), key


@pytest.mark.parametrize("module", [runtime_data, solvers])
def test_the_runtime_imports_no_diffwire(module):
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert names <= {"math", "torch", "torchdiffeq"}, names


@pytest.mark.parametrize("method", ["builtin_rk4", "builtin_euler"])
def test_an_exported_file_takes_the_librarys_solver_steps(tmp_path, method):
    import inspect

    g = dw.ode.lotka_volterra_ude(method=method, step_size=0.07)
    src = dw.export(g)
    for fn in solvers.SOURCES:  # the runtime's functions, verbatim, once each
        assert src.count(inspect.getsource(fn).strip("\n")) == 1, fn.__name__
    mod = load_source(src, tmp_path)
    field = runtime_data.lotka_volterra_field(1.3, 0.9, 0.8, 1.8)
    t = torch.linspace(0, 2.0, 9, dtype=torch.float64)
    y0 = torch.tensor([0.44, 4.6], dtype=torch.float64)
    step = getattr(mod, solvers.STEP_NAMES[method])
    exported = mod.solve_fixed(field, y0, t, step, mod.substeps(t, 0.07))
    library = fixed_step.solve_fixed(field, y0, t, method, fixed_step.substeps(t, 0.07))
    assert torch.equal(exported, library)


@pytest.mark.parametrize("fn", ["sin", "exp", "rbf"])
def test_an_exported_file_defines_the_librarys_activation(tmp_path, fn):
    import inspect

    from diffwire.blocks.activations import ACTIVATIONS

    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    m = g.add("MLP", widths=[2, 3, 1], activation=fn)
    g.connect(x, m)
    g.add_output(m, name="y")
    src = dw.export(g)
    cls = ACTIVATIONS[fn]
    assert src.count(inspect.getsource(cls).strip("\n")) == 1
    mod = load_source(src, tmp_path)
    z = torch.linspace(-2, 2, 7)
    assert torch.equal(getattr(mod, cls.__name__)()(z), cls()(z))
