"""Export security under a fuzzer: hostile labels, Input/Output names, Map port names,
Expression texts and constant names drawn by hypothesis never become code. Every exported
file is parsed with `ast` (only calls to torch, the module's own definitions and a short
list of builtins), and all of them are imported and run in one clean subprocess with an
audit-hook canary: no payload runs, no process is started, no file is written."""

import ast
import builtins
import json
import subprocess
import sys

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffwire as dw
import diffwire.export  # noqa: E402,F401

from export_util import clean_env, example_inputs, load_source  # noqa: E402


def roundtrip(g, tmp):
    """Export, load the compiled weights into the exported Model, compare outputs (NaN
    equal to NaN: fuzzed expressions take logs of negatives)."""
    compiled = g.compile(seed=0)
    src = dw.export(g)
    exported = load_source(src, tmp).Model()
    exported.load_state_dict(compiled.state_dict())
    xs = example_inputs(g, 0)
    a, b = compiled(*xs), exported(*xs)

    def flat(o):
        return [o[k] for k in sorted(o)] if isinstance(o, dict) else [o]

    for u, v in zip(flat(a), flat(b), strict=True):
        torch.testing.assert_close(u, v, atol=1e-5, rtol=1e-5, equal_nan=True)
    return src

CANARY = "DIFFWIRE_CANARY"
PAYLOADS = [
    f'x"); import os; os.system("touch {CANARY}1")#',
    f"'''\n__import__('os').system('touch {CANARY}2')\n'''",
    f'"""\nopen("{CANARY}3", "w")\n"""',
    f"\rimport os; os.system('touch {CANARY}4')",  # a lone CR ends a comment line in source
    f"\u2028__import__('os').system('touch {CANARY}5')",
    f"\x0c\nexec('open(\"{CANARY}6\", \"w\")')",
    f"{{__import__('os').system('touch {CANARY}7')}}",  # f-string injection
    f"\\\nimport os; os.system('touch {CANARY}8')",  # line continuation
    "\x00", "\\N{BULLET}", "\\x27", "; del self", "# noqa", "*/", "</script>",
    "torch", "self", "F", "nn", "os", "Model", "forward", "__init__", "super", "__class__",
]
TEXT = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=40),
                 st.lists(st.sampled_from(PAYLOADS), min_size=1, max_size=3).map("".join))
# Names the core accepts in expressions are identifiers; these collide with everything a
# generated module uses.
IDENT = st.sampled_from(["x", "a", "torch", "self", "F", "nn", "os", "math", "Model", "forward",
                         "import", "lambda", "class", "return", "print", "eval", "exec",
                         "__import__", "__class__", "__builtins__", "super", "dist", "sin"])
FUNCS = sorted(dw.expr.FUNCTIONS)

ALLOWED_IMPORTS = {"torch", "torch.nn.functional", "torch.distributed", "torchdiffeq", "argparse",
                   "hashlib", "os", "pathlib", "math", "numpy", "torch.nn"}
MODULE_ROOTS = {"torch", "nn", "F", "dist", "torchdiffeq", "argparse", "hashlib", "pathlib",
                "np", "os", "math"}
ALLOWED_BUILTINS = {"super", "range", "float", "int", "bool", "min", "max", "isinstance", "len",
                    "next", "dict", "list", "tuple", "sorted", "print", "ValueError", "KeyError",
                    "zip", "enumerate", "round", "RuntimeError", "TypeError", "str", "abs",
                    "sum", "any", "all", "getattr", "setattr", "hasattr", "repr", "map", "iter",
                    "reversed", "set", "type", "object", "NotImplementedError", "SystemExit"}
NEVER = {"eval", "exec", "compile", "__import__", "open", "input", "breakpoint", "globals",
         "locals", "vars", "delattr", "memoryview", "help"}


@st.composite
def expressions(draw, names):
    def term(depth):
        if depth == 0 or draw(st.booleans()):
            return draw(st.one_of(st.sampled_from(names),
                                  st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: f"{abs(v)!r}")))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            return f"{draw(st.sampled_from(FUNCS))}({term(depth - 1)})"
        if kind == 1:
            op = draw(st.sampled_from(["+", "-", "*", "/"]))
            return f"({term(depth - 1)} {op} {term(depth - 1)})"
        if kind == 2:
            return f"-{term(depth - 1)}"
        return f"({term(depth - 1)})**2"

    return term(3)


@st.composite
def hostile_graphs(draw):
    g = dw.Graph()
    in_name = draw(TEXT)
    x = g.add("Input", name=in_name, shape=[None, 2], label=draw(TEXT))
    names = draw(st.lists(IDENT, min_size=2, max_size=4, unique=True))
    inp = names[0]
    # learnable names that are torch module attributes are refused (see test_fuzz_expr)
    learn = [n for n in names[2:] if not hasattr(torch.nn.ParameterDict(), n)]
    consts = [n for n in names[1:] if n not in learn]
    e = g.add("Expression", expr=f"{inp} + {draw(expressions(names))}", inputs=[inp],
              constants={c: draw(st.floats(-2, 2)) for c in consts},
              learnable={c: draw(st.floats(-2, 2)) for c in learn}, label=draw(TEXT))
    g.connect(x, e)
    last = e
    if draw(st.booleans()):
        port = TEXT.filter(lambda t: 1 <= len(t) <= 200)  # the file format's limit
        state, seq, out = draw(st.lists(port, min_size=3, max_size=3, unique=True))
        m = g.add("Map", state=[state], inputs=[seq], outputs=[out], dim=1, label=draw(TEXT))
        r = g.add("Reshape", shape=[2, 1], label=draw(TEXT))
        g.connect(e, (m, state))
        g.connect(e, r)
        g.connect(r, (m, seq))
        map_out = draw(TEXT)
        g.add_output((m, out), name=map_out)
        last = (m, state)
    out_name = draw(TEXT)
    taken = {in_name} | {n.params["name"] for n in g.outputs()}
    while out_name in taken:  # Output names are distinct (validate says so)
        out_name += "_out"
    lin = g.add("Linear", in_features=2, out_features=2, label=draw(TEXT))
    g.connect(last, lin)
    try:
        g.add_output(lin, name=out_name)
    except dw.GraphError:
        g.add_output(lin, name="y_fallback")
    return g


def _root(node):
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def check_ast(src: str) -> None:
    tree = ast.parse(src)
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    local = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.arg):
            local.add(n.arg)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            local.add(n.id)
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            assert {a.name for a in n.names} <= ALLOWED_IMPORTS, ast.dump(n)
        elif isinstance(n, ast.ImportFrom):
            assert n.module in ALLOWED_IMPORTS, ast.dump(n)
        elif isinstance(n, ast.Name):
            assert n.id not in NEVER, f"{n.id} at line {n.lineno}"
        elif isinstance(n, ast.Attribute):
            assert not (n.attr.startswith("__") and n.attr not in ("__init__", "__name__")), \
                f".{n.attr} at line {n.lineno}"
            if isinstance(n.value, ast.Name) and n.value.id == "os":
                assert n.attr in ("environ",), f"os.{n.attr}"
        elif isinstance(n, ast.Call):
            root = _root(n.func)
            if isinstance(root, ast.Name):
                name = root.id
                ok = (name in MODULE_ROOTS or name in defined or name in local
                      or name in ALLOWED_BUILTINS)
                assert ok, f"call through {name!r} at line {n.lineno}"
                assert not (name in dir(builtins) and name not in ALLOWED_BUILTINS), name
            else:  # calls on literals: "".join(...), (a + b).sum()
                assert isinstance(root, ast.Constant | ast.JoinedStr | ast.BinOp | ast.Tuple
                                  | ast.List | ast.Dict | ast.ListComp | ast.IfExp), ast.dump(root)


CASES: list[tuple[str, str]] = []  # (source, document JSON) for the subprocess canary


HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]


@settings(max_examples=8, deadline=None, suppress_health_check=HEALTH)
@given(hostile_graphs())
def test_fuzzed_hostile_graphs_export_to_inert_code(tmp_path, g):
    fuzz_case(g, tmp_path)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=HEALTH)
@given(hostile_graphs())
def test_fuzzed_hostile_graphs_export_to_inert_code_300(tmp_path, g):
    fuzz_case(g, tmp_path)


def fuzz_case(g, tmp_path):
    src = roundtrip(g, tmp_path)  # the numbers agree with the compiled graph
    check_ast(src)
    path = tmp_path / "doc_check.py"
    dw.export(g, path)
    assert dw.export.from_python(path) == g  # the document survives, read with ast only
    CASES.append((src, g.to_json()))


CANARY_RUNNER = r"""
import importlib.util, json, os, pathlib, sys
import torch  # before the hook: torch loads its own libraries
events = []
WATCH = ("os.system", "subprocess.Popen", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
         "socket.connect", "socket.bind", "os.remove", "os.rename",
         "shutil.rmtree", "os.chmod", "webbrowser.open")
def hook(event, args):
    if event in WATCH or event.startswith(("os.exec", "os.spawn")):
        events.append(event)
    if event == "open" and isinstance(args[0], str) and args[1] not in (None, "r", "rb") \
            and "CANARY" in args[0]:
        events.append("open " + args[0])
sys.addaudithook(hook)
n = 0
for path in sorted(pathlib.Path(".").glob("case_*.py")):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    m = mod.Model()
    out = m(torch.randn(4, 2))
    n += 1
print(json.dumps({"cases": n, "events": events}))
"""


def test_exported_files_run_in_a_clean_process_without_any_payload(tmp_path):
    if not CASES:
        pytest.skip("the fuzz test above fills the cases")
    for i, (src, _doc) in enumerate(CASES):
        (tmp_path / f"case_{i:03d}.py").write_text(src)
    # The control: a module that does run a command must show up, or the hook proves nothing.
    (tmp_path / "case_zzz_control.py").write_text(
        "import os\nimport torch\nos.system('true')\n\n\nclass Model(torch.nn.Module):\n"
        "    def forward(self, x):\n        return x\n")
    done = subprocess.run([sys.executable, "-c", CANARY_RUNNER], cwd=tmp_path, env=clean_env(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["cases"] == len(CASES) + 1 and result["events"] == ["os.system"]
    assert not [p for p in tmp_path.rglob("*") if CANARY in p.name]


def test_constant_division_by_zero_exports_like_the_graph_runs(tmp_path):
    # Before: the exported forward computed "(1.0 / 0.0)" in Python: ZeroDivisionError,
    # where the compiled graph gives inf (constants follow torch's IEEE arithmetic).
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    e = g.add("Expression", expr="x + 1/c - 1/c*0 + (-1)**0.5 * 0", inputs=["x"],
              constants={"c": 0.0})
    g.connect(x, e)
    g.add_output(e)
    roundtrip(g, tmp_path)
