"""Names never reach the exported code as code: hostile labels, ports and params."""

import ast
import builtins

import diffwire as dw

from export_util import check_roundtrip, ruff_bin, run_clean

PAYLOAD = 'x"); import os; os.system("touch PWNED")#'
PAYLOAD2 = "'''\n__import__('os').system('touch PWNED2')\n'''"
ALLOWED_IMPORTS = {"torch", "torch.nn.functional", "torch.distributed", "torchdiffeq",
                   "argparse", "hashlib", "os", "pathlib", "math", "numpy", "torch.nn"}
ALLOWED_BUILTINS = {"super", "range", "float", "int", "bool", "min", "max", "isinstance", "len",
                    "next", "dict", "list", "tuple", "sorted", "print", "ValueError", "KeyError",
                    "zip", "enumerate", "round"}


def hostile_graph() -> dw.Graph:
    g = dw.Graph()
    x = g.add("Input", name=PAYLOAD, shape=[None, 2], label=PAYLOAD2)
    # Expression names are identifiers (checked by the core), but may be keywords.
    e = g.add("Expression", expr="a * import + lambda + class", inputs=["import"], label=PAYLOAD,
              constants={"a": 2.0, "lambda": 1.0}, learnable={"class": 0.5, "self": 1.0})
    m = g.add("Map", state=[PAYLOAD], inputs=[PAYLOAD2], outputs=["y"], dim=1, label=PAYLOAD2)
    seq = g.add("Reshape", shape=[2, 1], label=PAYLOAD)
    g.connect(x, e)
    g.connect(e, (m, PAYLOAD))
    g.connect(e, seq)
    g.connect(seq, (m, PAYLOAD2))
    g.add_output((m, PAYLOAD), name=PAYLOAD2)
    g.add_output((m, "y"), name=PAYLOAD)
    g.training = {"data": {PAYLOAD: {"source": "file", "path": "d.csv", "columns": ["a", "b"]},
                           PAYLOAD2: {"source": "kernel", "name": PAYLOAD}},
                  "loss": [{"output": PAYLOAD2, "target": PAYLOAD2, "fn": "mse"}],
                  "optimizer": {"kind": "sgd", "lr": 0.01}, "steps": 2}
    return g


def test_hostile_expressions_are_refused_before_export():
    g = dw.Graph()
    for text in ["__import__('os').system('touch PWNED')", "x; import os", "x.__class__",
                 "open('f')", "(lambda: 1)()"]:
        try:
            g.add("Expression", expr=text, inputs=["x"])
        except dw.GraphError:
            continue
        raise AssertionError(f"accepted {text!r}")


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def test_hostile_names_are_inert(tmp_path):
    g = hostile_graph()
    src = check_roundtrip(g, tmp_path)
    tree = ast.parse(src)
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
    local = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.arg):
            local.add(n.arg)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            local.add(n.id)
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            assert {a.name for a in n.names} <= ALLOWED_IMPORTS
        elif isinstance(n, ast.ImportFrom):
            assert n.module in ALLOWED_IMPORTS
        elif isinstance(n, ast.Call):
            root = _root(n.func)
            if isinstance(root, ast.Name):
                name = root.id
                ok = (name in {"torch", "nn", "F", "dist", "torchdiffeq", "argparse", "hashlib",
                               "pathlib", "np", "os", "math"} or name in defined
                      or name in local or name in ALLOWED_BUILTINS)
                assert ok, f"call through {name!r} at line {n.lineno}"
                assert not (name in dir(builtins) and name not in ALLOWED_BUILTINS), name
            else:  # a call on a literal: "".join(...), f-strings, (a + b).sum()
                assert isinstance(root, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Tuple,
                                         ast.List, ast.Dict, ast.ListComp, ast.IfExp)), ast.dump(root)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "os":
            assert n.attr == "environ"


def test_hostile_file_runs_without_payload(tmp_path):
    g = hostile_graph()
    path = tmp_path / "model.py"
    dw.export(g, path)
    (tmp_path / "d.csv").write_text("a,b\n" + "\n".join(f"{i * 0.1},{i * 0.2}" for i in range(8)))
    check = __import__("subprocess").run([ruff_bin(), "check", "--isolated", "--no-cache",
                                          str(path), str(tmp_path / "model_train.py")],
                                         capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    done = run_clean(["model_train.py", "--steps", "2"], cwd=tmp_path)
    # The second binding is a kernel variable: a clear message, not a crash elsewhere.
    assert "pass it in" in done.stderr, done.stderr[-2000:]
    script = ("import torch, model_train as model\n"
              "m = model.Model()\n"
              "out = m(torch.randn(4, 2))\n"
              f"assert sorted(out) == sorted({[PAYLOAD, PAYLOAD2]!r})\n"
              "print('ok')\n")
    done = run_clean(["-c", script], cwd=tmp_path)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]
    assert not list(tmp_path.rglob("PWNED*"))
    assert dw.from_python(path) == g


def test_names_that_look_like_modules_add_no_imports(tmp_path):
    g = dw.Graph()
    x = g.add("Input", name="os.environ", shape=[None, 3])
    n = g.add("Neg", label="argparse.ArgumentParser")
    g.connect(x, n)
    g.add_output(n, name="math.pi F.relu torchdiffeq.odeint")
    for training in (False, True):
        path = tmp_path / f"m_{training}.py"
        dw.export(g, path, training=training)
        check = __import__("subprocess").run(
            [ruff_bin(), "check", "--isolated", "--no-cache", str(path)],
            capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
        imports = [line for line in path.read_text().splitlines()
                   if line.startswith(("import ", "from "))]
        assert "import math" not in imports and "import torchdiffeq" not in imports
