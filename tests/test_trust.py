"""Trust: opening a .diffwire file never runs or imports code; torch.load always uses
weights_only=True; the package registers no Jupyter server endpoint."""

import ast
import json
import pathlib
import sys

import pytest

import diffwire as dw

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kernel_lib" / "diffwire"

# Block type names that are importable module paths; several are not imported by the tests
# (antigravity opens a browser, this prints a poem), so an import would show in sys.modules.
MODULE_TYPES = ["os.system", "subprocess.Popen", "antigravity", "this", "smtplib.SMTP",
                "http.server.HTTPServer", "xmlrpc.client.ServerProxy", "ctypes.CDLL",
                "importlib.import_module", "builtins.eval", "diffwire.cli.main",
                "torch.hub.load", "pickle.loads", "__import__"]


def hostile_document(tmp_path) -> pathlib.Path:
    nodes = [{"id": "x", "type": "Input", "params": {"name": "x", "shape": [None, 2]},
              "position": [0, 0]}]
    edges = []
    for i, t in enumerate(MODULE_TYPES):
        nid = f"n{i}"
        nodes.append({"id": nid, "type": t, "params": {"args": ["touch", str(tmp_path / "PWNED")]},
                      "position": [0, 0], "label": f"__import__('{t}')"})
        edges.append({"source": "x", "source_port": "out", "target": nid, "target_port": "x"})
    # An imported-module node names a class; the module itself only ever lives in memory.
    nodes.append({"id": "imported", "type": "Module", "position": [0, 0],
                  "params": {"class_name": "subprocess.Popen", "ref": "http.server"}})
    edges.append({"source": "x", "source_port": "out", "target": "imported", "target_port": "x"})
    nodes.append({"id": "y", "type": "Output", "params": {"name": "y"}, "position": [0, 0]})
    edges.append({"source": "n0", "source_port": "out", "target": "y", "target_port": "x"})
    doc = {"format": "diffwire/1", "nodes": nodes, "edges": edges,
           "training": {"data": {"x": {"source": "generator", "name": "subprocess.Popen"}},
                        "loss": {"output": "y", "target": "os.system", "fn": "os.system"},
                        "optimizer": "torch.optim.SGD"}}
    path = tmp_path / "evil.diffwire"
    path.write_text(json.dumps(doc))
    return path


def open_everything(path):
    """What the editor and the CLI do with a file: load, validate, compile, train."""
    g = dw.load(path)
    errors = g.validate()
    for attempt in (g.compile, lambda: dw.train(path, steps=1, progress=False, background=False),
                    lambda: dw.validate_training(g)):
        try:
            attempt()
        except dw.GraphError:
            pass
    return errors


def test_unregistered_types_are_unresolved_and_nothing_is_imported(tmp_path):
    path = hostile_document(tmp_path)
    benign = tmp_path / "benign.diffwire"
    g = dw.Graph()
    g.connect(g.add("Input", name="x", shape=[None, 2]), n := g.add("Linear", in_features=2,
                                                                     out_features=2))
    g.add_output(n, name="y")
    g.save(benign)
    open_everything(benign)  # warm-up: whatever torch imports lazily is imported now
    open_everything(path)
    before = set(sys.modules)
    errors = open_everything(path)
    gained = set(sys.modules) - before
    assert not gained, f"opening the file imported {sorted(gained)}"
    for name in ("antigravity", "this", "smtplib", "http.server", "xmlrpc.client"):
        assert name not in sys.modules or name in before
    unresolved = {e.node: e for e in errors if isinstance(e, dw.UnknownBlockType)}
    for i, t in enumerate(MODULE_TYPES):
        assert f"n{i}" in unresolved, f"{t} not reported as unresolved"
        assert t in str(unresolved[f"n{i}"])  # the error names the type
    assert not (tmp_path / "PWNED").exists()


def test_unresolved_types_in_a_subprocess_import_nothing(tmp_path):
    """A clean interpreter: the modules named by block types stay unimported."""
    import subprocess

    path = hostile_document(tmp_path)
    code = f"""
import sys
sys.path.insert(0, {str(ROOT / 'kernel_lib')!r})
import diffwire as dw
g = dw.load({str(path)!r})
errs = g.validate()
bad = [m for m in ("antigravity", "this", "smtplib", "http.server", "xmlrpc.client")
       if m in sys.modules]
print("UNRESOLVED", sum(isinstance(e, dw.UnknownBlockType) for e in errs), "IMPORTED", bad)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"UNRESOLVED {len(MODULE_TYPES)} IMPORTED []" in out.stdout, out.stdout + out.stderr


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name)
                    else "")
            base = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            yield node, base, name


def _sources():
    return sorted(PACKAGE.rglob("*.py"))


def test_every_torch_load_in_the_package_uses_weights_only():
    found = 0
    for path in _sources():
        tree = ast.parse(path.read_text(), str(path))
        for call, base, name in _calls(tree):
            if name == "load" and base == "torch":
                found += 1
                kw = {k.arg: k.value for k in call.keywords}
                assert "weights_only" in kw and isinstance(kw["weights_only"], ast.Constant) \
                    and kw["weights_only"].value is True, \
                    f"{path.relative_to(ROOT)}:{call.lineno}: torch.load without weights_only=True"
    assert found >= 1  # the checkpoint reader is seen, so the scan works


def _fixed_name(arg) -> bool:
    """An expression built only from constants and __name__ (``__name__.rsplit(...)[0] + ...``)."""
    for n in ast.walk(arg):
        if isinstance(n, ast.Name) and n.id != "__name__":
            return False
        if not isinstance(n, ast.Constant | ast.Name | ast.BinOp | ast.Add | ast.Subscript
                          | ast.Call | ast.Attribute | ast.Load | ast.Slice | ast.UnaryOp
                          | ast.USub):
            return False
    return True


def test_the_package_never_unpickles_evals_or_imports_by_name():
    banned = {("pickle", "load"), ("pickle", "loads"), ("", "eval"), ("", "exec"),
              ("marshal", "loads"), ("", "__import__"), ("dill", "load"), ("yaml", "load")}
    # Reviewed: cli.py imports its own subcommand modules from a fixed table. Elsewhere an
    # import_module argument may only be built from constants and __name__ (the widget
    # finds diffwire.export / diffwire.train that way), never from a document or message.
    allowed_dynamic_imports = {"cli.py"}
    # ode/field.py execs a straight-line function it writes from slot numbers only (v3 =
    # m1(v0, v2)): no user text reaches that source. Reviewed; any other exec is new.
    allowed_exec = {("field.py", "exec"), ("field.py", "compile")}
    for path in _sources():
        tree = ast.parse(path.read_text(), str(path))
        for call, base, name in _calls(tree):
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            if (path.name, name) in allowed_exec and base == "":
                continue
            assert (base, name) not in banned, f"{where}: {base}.{name}"
            if name == "import_module" and (base == "importlib" or "from importlib import"
                                            in path.read_text()):
                assert path.name in allowed_dynamic_imports or _fixed_name(call.args[0]), \
                    f"{where}: import_module of a name that is not fixed"
            if name == "load" and base in ("np", "numpy"):
                kw = {k.arg: k.value for k in call.keywords}
                assert "allow_pickle" in kw and getattr(kw["allow_pickle"], "value", True) is False, \
                    f"{where}: np.load without allow_pickle=False"


SERVER_MARKERS = ["_load_jupyter_server_extension", "load_jupyter_server_extension",
                  "_jupyter_server_extension_points", "_jupyter_server_extension_paths",
                  "add_handlers", "web_app.add", "APIHandler", "JupyterHandler",
                  "tornado.web.RequestHandler", "jupyter_server.base.handlers",
                  "ServerApp.token", "IdentityProvider.token", "disable_check_xsrf",
                  "allow_unauthenticated", "ServerApp.password"]


def test_no_server_extension_and_no_unauthenticated_endpoint():
    """The extension is front-end only (a prebuilt lab extension and a kernel comm): it
    adds no Jupyter server handler, so the server's own token guards everything."""
    roots = [PACKAGE, ROOT / "extension" / "src"]
    checked = 0
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".py", ".ts", ".tsx", ".js", ".json") or "node_modules" in \
                    path.parts or not path.is_file() or path.stat().st_size > 2_000_000:
                continue
            if path.name.endswith(".js") and "static" in path.parts:
                continue  # the bundled editor is built from extension/src, checked there
            text = path.read_text(errors="replace")
            checked += 1
            for marker in SERVER_MARKERS:
                assert marker not in text, f"{path.relative_to(ROOT)} mentions {marker}"
    for cfg in ("jupyter-config", "jupyter_server_config.d"):
        assert not list(ROOT.glob(f"**/{cfg}/**/*.json")) or not any(
            "ServerApp" in p.read_text() for p in ROOT.glob(f"**/{cfg}/**/*.json")
            if "node_modules" not in p.parts and ".venv" not in p.parts)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "jupyter_server_config.d" not in pyproject
    assert checked > 10


@pytest.mark.parametrize("text", [
    '{"format": "diffwire/1", "nodes": [], "edges": [], "__class__": "os.system"}',
    '{"format": "diffwire/1", "nodes": [], "edges": [], "meta": {"$ref": "file:///etc/passwd"}}',
    '{"format": {"$ref": "http://127.0.0.1:1/x"}, "nodes": [], "edges": []}',
])
def test_schema_refs_and_odd_keys_are_never_followed(text):
    try:
        dw.loads(text)
    except dw.GraphError:
        pass
