"""Shared by the export tests: example graphs per block, loading exported code, comparing."""

from __future__ import annotations

import importlib.util
import itertools
import pathlib
import subprocess
import sys

import torch

import diffwire as dw
import diffwire.ode  # noqa: F401  (registers ODESolve: the battery covers it too)

_count = itertools.count()
ROOT = pathlib.Path(__file__).resolve().parents[1]


def block_graph(cls) -> dw.Graph:
    """Input(s) -> one node of block `cls` with its example params -> Output(s)."""
    g = dw.Graph()
    node = g.add(cls.type, id="node", **dict(cls.example_params))
    for p in node.input_ports():
        if p.name not in cls.example_inputs:
            continue
        kind = p.kind
        shape = list(cls.example_inputs[p.name])
        dtype = "bool" if kind == "bool" else getattr(cls, "example_dtypes", {}).get(
            p.name, "float32")  # int64: indices (Embedding)
        inp = g.add("Input", name=p.name, shape=shape, kind=kind, dtype=dtype)
        g.connect(inp, (node, p.name))
    for p in node.output_ports():
        if p.kind == "bool":  # Output ports take tensors: pick with the mask instead
            pick = g.add("Conditional", mode="where")
            xs = g.add("Input", name=f"x_{p.name}", shape=[4, 3])
            g.connect((node, p.name), (pick, "cond"))
            g.connect(xs, (pick, "x"))
            g.add_output(pick, name=f"out_{p.name}")
            continue
        g.add_output((node, p.name), name=f"out_{p.name}")
    return g


def example_inputs(g: dw.Graph, seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    out = []
    for n in g.inputs():
        shape = [4 if d is None or isinstance(d, str) else d for d in (n.params["shape"] or [4, 3])]
        if n.params["kind"] == "bool":
            out.append(torch.rand(shape, generator=gen) > 0.5)
        elif n.params.get("dtype") == "int64":  # indices: rows 0 and 1 exist in any table
            out.append(torch.randint(0, 2, shape, generator=gen))
        elif n.params["kind"] == "time":  # a solver's grid: increasing
            out.append(torch.linspace(0.0, 1.0, shape[0]) + 0.1 * torch.rand(1, generator=gen))
        else:
            out.append(torch.randn(shape, generator=gen).requires_grad_(True))
    return out


def load_source(src: str, tmp: pathlib.Path):
    """Import exported source as a fresh module (in this process, for comparisons)."""
    path = tmp / f"exported_{next(_count)}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load_training(g: dw.Graph, tmp: pathlib.Path):
    """Export `g` into `tmp` (the model file, its training file, the document) and import
    the training file, which imports the model: returns the text of both files and that
    module (``train``, ``TRAINING``, ``Model``...)."""
    stem = f"exported_{next(_count)}"
    text = dw.export(g, tmp / f"{stem}.py")
    path = tmp / f"{stem}_train.py"
    text += path.read_text()
    sys.path.insert(0, str(tmp))  # the training file imports the model by its module name
    try:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(tmp))
    return text, mod


def _flat(out) -> list:
    if isinstance(out, dict):
        return [out[k] for k in sorted(out)]
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def assert_same(compiled: torch.nn.Module, exported: torch.nn.Module, inputs: list, atol=1e-6):
    """Outputs and gradients (inputs and weights) agree to `atol`."""
    compiled.zero_grad(set_to_none=True)
    exported.zero_grad(set_to_none=True)
    a_in = [x.detach().clone().requires_grad_(x.requires_grad) for x in inputs]
    b_in = [x.detach().clone().requires_grad_(x.requires_grad) for x in inputs]
    torch.manual_seed(0)  # random blocks (Dropout) draw the same noise in both
    a = compiled(*a_in)
    torch.manual_seed(0)
    b = exported(*b_in)
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b)
    fa, fb = _flat(a), _flat(b)
    assert len(fa) == len(fb)
    total_a, total_b = 0, 0
    for x, y in zip(fa, fb):
        assert x.shape == y.shape and x.dtype == y.dtype
        if x.is_floating_point():
            torch.testing.assert_close(x, y, atol=atol, rtol=0)
            if x.requires_grad:
                w = torch.linspace(0.5, 1.5, x.numel()).reshape(x.shape)
                total_a = total_a + (x * w).sum()
                total_b = total_b + (y * w).sum()
        else:
            assert torch.equal(x, y)
    if isinstance(total_a, torch.Tensor):
        total_a.backward()
        total_b.backward()
        for x, y in zip(a_in, b_in):
            if x.requires_grad:
                ga = torch.zeros_like(x) if x.grad is None else x.grad
                gb = torch.zeros_like(y) if y.grad is None else y.grad
                # an input's gradient through a solve reaches ~16 for the pendulum's field:
                # one float32 rounding there is 2e-6, so relative to its size as well
                torch.testing.assert_close(ga, gb, atol=atol, rtol=1e-6)
        pa, pb = dict(compiled.named_parameters()), dict(exported.named_parameters())
        assert sorted(pa) == sorted(pb)
        for k in pa:
            ga, gb = pa[k].grad, pb[k].grad
            if ga is None or gb is None:
                assert ga is None and gb is None, k
            else:
                torch.testing.assert_close(ga, gb, atol=atol, rtol=0, msg=k)


def check_roundtrip(g: dw.Graph, tmp: pathlib.Path, seed: int = 0):
    """Export `g`, load the compiled weights into the exported Model, compare; returns source."""
    compiled = g.compile(seed=seed)
    src = dw.export(g)
    mod = load_source(src, tmp)
    exported = mod.Model()
    assert sorted(exported.state_dict()) == sorted(compiled.state_dict())
    exported.load_state_dict(compiled.state_dict())
    assert_same(compiled, exported, example_inputs(g, seed))
    return src


def clean_env(tmp: pathlib.Path) -> dict:
    """Environment for running exported files where diffwire cannot be imported."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # Where diffwire is pip-installed (make test installs it editable), a stand-in package
    # first on the path makes `import diffwire` fail, so the file must run without it.
    shadow = tmp / "_no_diffwire"
    (shadow / "diffwire").mkdir(parents=True, exist_ok=True)
    (shadow / "diffwire" / "__init__.py").write_text(
        "raise ImportError('diffwire is blocked: exported code must not need it')\n")
    env["PYTHONPATH"] = str(shadow)
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_clean(args: list[str], cwd: pathlib.Path, timeout: float = 300, env_extra=None):
    env = clean_env(cwd)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def ruff_bin() -> str:
    from ruff.__main__ import find_ruff_bin

    return find_ruff_bin()
