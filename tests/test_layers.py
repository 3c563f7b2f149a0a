"""The package's layers hold: a module imports only from its own layer or the ones below it,
lazy imports (inside functions) included, and no two modules import each other at load time.

The layers, lowest first, are drawn in kernel_lib/diffwire/README.md. The two documented
exceptions are the convenience entry points on a graph (``Graph.validate()``,
``Graph.infer_shapes()`` and ``Graph.compile()``), which reach up to the checker and the
compiler when called.
"""

import ast
import pathlib

import networkx as nx
import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "kernel_lib" / "diffwire"

#: lowest first; a module may import its own layer and those before it
LAYERS = [
    {"errors", "callable_package", "jsontext", "ports", "expr", "symbolic", "schema", "schema_fast", "threads",
     "runtime", "context", "ray_session"},
    {"document"},
    {"blocks"},
    {"analysis", "equations"},
    {"compile"},
    {"shapes"},
    {"ode"},
    {"train"},
    {"logic"},
    {"export"},
    {"sweep"},
    {"commands", "cli", "widget"},
    {"__init__"},
]

#: (importing module, imported module) -> why the import goes up
EXCEPTIONS = {
    ("diffwire.document", "diffwire.shapes"): "Graph.validate() and Graph.infer_shapes()",
    ("diffwire.document", "diffwire.compile"): "Graph.compile()",
}


def rank(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS and the README")


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool, top_level_only: bool = False):
    """(imported module, line) for every diffwire import in `source`, resolved to absolute
    names; `top_level_only` skips imports inside functions, classes and TYPE_CHECKING."""
    package = module if is_package else module.rsplit(".", 1)[0]
    tree = ast.parse(source)
    nodes = tree.body if top_level_only else ast.walk(tree)
    for n in nodes:
        if isinstance(n, ast.ImportFrom):
            if n.level:
                base = package.split(".")[: len(package.split(".")) - (n.level - 1)]
                target = ".".join(base + ([n.module] if n.module else []))
            else:
                target = n.module or ""
            names = [target] if n.module else [f"{target}.{a.name}" for a in n.names]
        elif isinstance(n, ast.Import):
            names = [a.name for a in n.names]
        else:
            continue
        for name in names:
            if name == "diffwire" or name.startswith("diffwire."):
                yield name, n.lineno


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every import in `source` (the text of `module`) that reaches a higher layer."""
    out = []
    rank(module)  # every module sits in a layer, whatever it imports
    for target, line in imports(source, module, is_package):
        if target == "diffwire" or (module, ".".join(target.split(".")[:2])) in EXCEPTIONS:
            continue
        if rank(target) > rank(module):
            out.append(f"{module}:{line} imports {target}")
    return out


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, module_name(path)


def test_no_module_imports_a_higher_layer():
    found = []
    for path, module in modules():
        found += violations(path.read_text(), module, path.name == "__init__.py")
    assert not found, "\n".join(found)


def test_a_wrong_import_is_caught_even_inside_a_function():
    # a block reaching for the compiler, at module top and lazily
    assert violations("from ..compile import inferring\n", "diffwire.blocks.linear") == [
        "diffwire.blocks.linear:1 imports diffwire.compile"]
    lazy = "def f():\n    from ..train.api import train\n    return train\n"
    assert violations(lazy, "diffwire.ode.solve") == ["diffwire.ode.solve:2 imports diffwire.train.api"]
    assert violations("import diffwire.widget.editor\n", "diffwire.document") == [
        "diffwire.document:1 imports diffwire.widget.editor"]
    # the same imports the other way round are fine
    assert violations("from ..blocks.linear import Linear\n", "diffwire.compile") == []
    assert violations("from .. import errors\n", "diffwire.blocks.linear") == []


def test_a_module_in_no_layer_is_named():
    with pytest.raises(AssertionError, match="diffwire.newthing is in no layer"):
        violations("from .errors import GraphError\n", "diffwire.newthing")


def test_no_import_cycles_at_load_time():
    known = {module for _, module in modules()}
    g = nx.DiGraph()
    for path, module in modules():
        for target, _ in imports(path.read_text(), module, path.name == "__init__.py",
                                 top_level_only=True):
            while target not in known:  # `from .x import name` names a module or a member
                target = target.rsplit(".", 1)[0]
            if target != module and not module.startswith(target + "."):
                g.add_edge(module, target)  # a package's __init__ runs before its modules
    cycles = [c for c in nx.simple_cycles(g) if not any(m == "diffwire" for m in c)]
    assert not cycles, cycles


def test_the_readme_draws_every_layer():
    text = (PACKAGE / "README.md").read_text()
    for names in LAYERS:
        for name in names - {"__init__"}:
            assert f"`{name}`" in text, name


def test_no_module_loads_diffwire_by_a_string():
    # `importlib.import_module("...train")` hid an upward import from the layer check
    found = []
    for path, module in modules():
        if module == "diffwire.cli":  # subcommands load by name so `diffwire validate` is quick
            continue
        tree = ast.parse(path.read_text())
        for n in ast.walk(tree):
            if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                    and n.func.attr == "import_module"):
                found.append(f"{module}:{n.lineno}")
    assert not found, found
