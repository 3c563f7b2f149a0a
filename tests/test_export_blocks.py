"""The export contract, run over every registered block: a graph Input(s) -> block ->
Output(s) exported as code loads the compiled weights and matches outputs and gradients."""

import ast
import subprocess

import pytest
import torch

import diffwire as dw

from export_util import block_graph, check_roundtrip, example_inputs, ruff_bin, run_clean


def _exportable():
    out = []
    for name in sorted(dw.BLOCKS):
        cls = dw.BLOCKS[name]
        if name in ("Input", "Output") or not getattr(cls, "compiled", True):
            continue
        if not cls.__module__.startswith("diffwire."):  # blocks other tests register
            continue
        out.append(name)
    return out


SKIP = {"Module": "opaque: holds an in-memory module, checked below and in test_from_module"}


@pytest.mark.parametrize("name", _exportable())
def test_block_exports_and_matches(name, tmp_path):
    g = block_graph(dw.BLOCKS[name])
    if name in SKIP:  # opaque: compiles, and export says why it cannot write code for it
        with pytest.raises(dw.GraphError, match="opaque Module"):
            dw.export(g)
        return
    src = check_roundtrip(g, tmp_path)
    ast.parse(src)
    assert "diffwire" not in "".join(
        line for line in src.splitlines() if line.startswith(("import", "from")))


def test_every_block_file_runs_without_diffwire_and_passes_ruff(tmp_path):
    """All block graphs at once: ruff check / format clean, and each file imports and runs
    in a subprocess where diffwire is not importable."""
    work = tmp_path / "out"
    work.mkdir()
    names = [n for n in _exportable() if n not in SKIP]
    for name in names:
        g = block_graph(dw.BLOCKS[name])
        (work / f"m_{name}.py").write_text(dw.export(g))
        torch.save(example_inputs(g), work / f"m_{name}.inputs.pt")
    ruff = ruff_bin()
    check = subprocess.run([ruff, "check", "--isolated", "--no-cache", str(work)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run([ruff, "format", "--isolated", "--no-cache", "--check", str(work)],
                         capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    script = (
        "import importlib.util, sys, torch\n"
        "try:\n    import diffwire\nexcept ImportError:\n    pass\n"
        "else:\n    raise SystemExit('diffwire is importable here')\n"
        f"for name in {names!r}:\n"
        "    spec = importlib.util.spec_from_file_location(name, f'm_{name}.py')\n"
        "    mod = importlib.util.module_from_spec(spec)\n"
        "    spec.loader.exec_module(mod)\n"
        "    out = mod.Model()(*torch.load(f'm_{name}.inputs.pt'))\n"
        "assert not any(m.startswith('diffwire') for m in sys.modules)\n"
        "print('ran', len(" + repr(names) + "))\n"
    )
    done = run_clean(["-c", script], cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ran {len(names)}" in done.stdout


def test_opaque_module_block_compiles_but_refuses_to_export():
    g = block_graph(dw.BLOCKS["Module"])
    x = example_inputs(g)
    assert torch.equal(g.compile()(*x), x[0])
    with pytest.raises(dw.GraphError, match="opaque Module"):
        dw.export(g)


def test_group_with_weights_and_two_ports_exports_and_matches(tmp_path):
    """A Group whose body holds weights (what the editor's Ctrl/Cmd+G makes): it runs its
    body once, and the exported code nests the body where the compiled graph does."""
    g = dw.Graph()
    a = g.add("Input", name="a", shape=[None, 3])
    b = g.add("Input", name="b", shape=[None, 3])
    grp = g.add("Group", inputs=["a", "b"], outputs=["s", "y"])
    g.connect(a, (grp, "a"))
    g.connect(b, (grp, "b"))
    g.add_output((grp, "s"), name="s")
    g.add_output((grp, "y"), name="y")
    body = grp.body["body"]
    for n in ("s", "y"):
        body.remove(n)
    add = body.add("Add", id="add")
    body.connect("a", (add, "a"))
    body.connect("b", (add, "b"))
    mlp = body.add("MLP", id="mlp", widths=[3, 8, 2])
    body.connect(add, mlp)
    body.add_output(add, name="s")
    body.add_output(mlp, name="y")
    assert [e for e in g.validate() if e.severity == "error"] == []
    model = g.compile(seed=0)
    x, z = torch.randn(5, 3), torch.randn(5, 3)
    s, y = model.run(x, z)
    assert torch.allclose(s, x + z) and list(y.shape) == [5, 2]
    assert any(k.startswith("blocks.") and ".body.body." in k for k in model.state_dict())
    check_roundtrip(g, tmp_path)
