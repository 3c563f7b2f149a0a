"""The kernel side of the JupyterLab document host (diffwire.widget.comm), over a fake comm."""

from __future__ import annotations

import itertools
import json
import pathlib

import diffwire as dw
from diffwire.widget import comm as dwcomm
from diffwire.widget import starter as new_file

_ids = itertools.count()


class FakeComm:
    """Enough of ipykernel's Comm for a widget: records what the kernel sends."""

    def __init__(self):
        self.comm_id = f"c{next(_ids)}"
        self.kernel = object()
        self.sent: list[dict] = []
        self.msg_cb = None
        self.close_cb = None

    def on_msg(self, cb):
        self.msg_cb = cb

    def on_close(self, cb):
        self.close_cb = cb

    def send(self, data=None, metadata=None, buffers=None):
        self.sent.append(data)

    def close(self, *a, **k):
        pass

    # the browser side
    def deliver(self, data: dict):
        self.msg_cb({"content": {"data": data}, "buffers": []})

    def events(self, name: str) -> list[dict]:
        return [d["content"] for d in self.sent
                if d.get("method") == "custom" and d["content"].get("event") == name]


def starter() -> dw.Graph:
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    h = g.add("MLP", widths=[2, 16, 1])
    g.connect(x, h)
    g.add_output(h, name="y")
    return g


def open_session(text: str | None) -> tuple[FakeComm, dwcomm.DocumentSession]:
    c = FakeComm()
    s = dwcomm.DocumentSession(c, text=text, path="m.diffwire")
    return c, s


def test_open_sends_hello_with_doc_catalog_status_and_analysis():
    g = starter()
    c, s = open_session(g.to_json())
    (hello,) = [d for d in c.sent if d.get("method") == "hello"]
    assert hello["state"]["doc"] == g.to_dict()
    assert {b["type"] for b in hello["state"]["catalog"]["blocks"]} >= {"Input", "MLP", "Output"}
    assert "state" in hello["state"]["status"]
    assert c.events("analysis")
    assert s.editor.graph.to_dict() == g.to_dict()


def test_canvas_edit_reaches_the_same_editor_model():
    c, s = open_session(starter().to_json())
    doc = s.editor.graph.to_dict()
    doc["nodes"][1]["params"]["widths"] = [2, 32, 1]
    # the same `write` command the notebook widget sends: a patch on the kernel's revision
    (hello,) = [d for d in c.sent if d.get("method") == "hello"]
    c.deliver({"method": "custom", "content": {"cmd": "write", "patch": {"nodes": [doc["nodes"][1]]},
                                               "base": hello["state"]["doc_rev"], "client": "t"}})
    assert s.editor.graph.node(doc["nodes"][1]["id"]).params["widths"] == [2, 32, 1]
    c.deliver({"method": "custom", "content": {"cmd": "validate"}})
    assert len(c.events("analysis")) >= 2


def test_reload_replaces_the_graph_without_pushing_it_back():
    c, s = open_session(starter().to_json())
    g2 = dw.Graph()
    g2.add("Input", name="z", shape=[None, 3])
    n = len(c.sent)
    c.deliver({"method": "custom", "content": {"cmd": "reload", "text": g2.to_json()}})
    assert list(s.editor.graph.nodes) == ["z"]
    pushed = [d for d in c.sent[n:] if d.get("method") == "update" and "doc" in d.get("state", {})]
    assert not pushed  # the browser has this text already
    assert s.editor.doc["nodes"][0]["id"] == "z"
    assert c.events("analysis")


def test_reload_is_a_new_revision_and_older_writes_are_dropped():
    c, s = open_session(starter().to_json())
    (hello,) = [d for d in c.sent if d.get("method") == "hello"]
    old = hello["state"]["doc_rev"]
    g2 = dw.Graph()
    g2.add("Input", name="z", shape=[None, 3])
    c.deliver({"method": "custom", "content": {"cmd": "reload", "text": g2.to_json()}})
    revs = [d["state"]["doc_rev"] for d in c.sent if d.get("method") == "update"
            and "doc_rev" in d.get("state", {})]
    assert revs == [old + 1]  # announced without the document
    stale = starter().to_dict()
    c.deliver({"method": "custom", "content": {"cmd": "write", "doc": stale, "base": old}})
    assert list(s.editor.graph.nodes) == ["z"]  # made on the text before the reload
    c.deliver({"method": "custom", "content": {"cmd": "write", "doc": stale, "base": old + 1}})
    assert "z" not in s.editor.graph.nodes


def test_a_trait_update_from_the_front_end_is_refused_with_a_message():
    c, s = open_session(starter().to_json())
    before = s.editor.graph.to_dict()
    c.deliver({"method": "update", "state": {"doc": {"nodes": [], "edges": []}}, "buffer_paths": []})
    assert s.editor.graph.to_dict() == before
    (err,) = c.events("error")
    assert "'update'" in err["message"] and "reload the page" in err["message"]


def test_the_host_uses_only_the_editors_public_methods():
    """comm.py drives the Editor and its RunControl through public names only (issue 12)."""
    import ast

    tree = ast.parse(pathlib.Path(dwcomm.__file__).read_text())
    private = sorted({node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                      and node.attr.startswith("_") and not node.attr.startswith("__")
                      and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "s"))})
    assert private == []


def test_bad_text_opens_empty_and_reports():
    c, s = open_session("{not json")
    assert s.editor.graph.nodes == [] or len(s.editor.graph.nodes) == 0
    assert c.events("error")


def test_export_uses_dw_export_or_says_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the kernel runs in the document's folder and writes there
    c, _ = open_session(starter().to_json())
    c.deliver({"method": "custom", "content": {"cmd": "export"}})
    if callable(getattr(dw, "export", None)):
        (ev,) = c.events("export")
        assert "class" in ev["source"] and "torch" in ev["source"]
        # the kernel wrote the model (the browser writes it again), its training file and
        # the document, beside the document and nowhere else
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(ev["files"]) == [
            "m.diffwire.json", "m.py", "m_train.py"]
        assert (tmp_path / "m.py").read_text() == ev["source"]
    else:
        (ev,) = c.events("error")
        assert "dw.export" in ev["message"]


def test_register_outside_a_kernel_is_a_no_op():
    assert dwcomm.register() in (False, True)


def test_register_with_a_kernel_is_idempotent():
    class CM:
        def __init__(self):
            self.targets = {}

        def register_target(self, name, fn):
            self.targets[name] = fn

    class K:
        comm_manager = CM()

    k = K()
    assert dwcomm.register(k) and dwcomm.register(k)
    assert list(k.comm_manager.targets) == [dwcomm.TARGET]


def test_settings_become_run_options_and_the_stream_interval():
    c, s = open_session(starter().to_json())
    c.deliver({"method": "custom", "content": {"cmd": "settings", "settings": {
        "plotRefreshHz": 10, "device": "cpu", "checkpointEvery": None, "threads": 2}}})
    assert s.interval == 0.1
    opts = s.editor.control.options
    assert opts["threads"] == 2  # the editor's "Training threads" setting
    if dwcomm._train_parameters() is None:  # no training engine here: nothing is filtered
        assert opts["device"] == "cpu" and opts["stream_hz"] == 10
    assert "checkpoint_every" not in opts


STARTER = pathlib.Path(__file__).resolve().parents[1] / "extension" / "src" / "lab" / "starter.json"


def starter_doc() -> dict:
    """The document File > New writes: extension/src/lab/starter.json."""
    return json.loads(STARTER.read_text())


def test_the_shipped_starter_is_what_the_kernel_library_makes():
    """The extension ships the kernel's starter (widget/starter.py) as starter.json; when a
    block's defaults change, `make starter` writes it again."""
    assert STARTER.read_text() == new_file.starter().to_json(), "run `make starter`"


def test_the_starter_program_is_valid_and_trains_as_it_is():
    doc = starter_doc()
    g = dw.Graph.from_dict(doc)
    assert [n for n in g.nodes] == ["x", "mlp", "y", "optim"]
    assert g.validate() == []
    c, _ = open_session(json.dumps(doc))
    (ev,) = c.events("analysis")[-1:]
    assert ev["errors"] == [], ev["errors"]
    if callable(getattr(dw, "training_config", None)):
        from diffwire.train.config import resolve

        resolve(g)  # data bindings, loss and optimizer all resolve


def test_the_first_tab_imports_jsonschema_beside_the_kernel_after_its_hello():
    # a fresh process: the first document's training check must not wait 2-4 s for the
    # jsonschema import; the first tab starts it in a thread once its hello is out
    import subprocess
    import sys

    code = """
import sys
sys.path.insert(0, sys.argv[1])
from test_lab_comm import FakeComm
from diffwire.widget import comm
from diffwire.train import section_schema
class Comm(FakeComm):
    def send(self, data=None, metadata=None, buffers=None):
        if (data or {}).get("method") == "hello":
            self.hello_with_jsonschema = "jsonschema" in sys.modules
        super().send(data, metadata, buffers)
c = Comm()
comm.DocumentSession(c, text=None, path=None)
assert c.hello_with_jsonschema is False  # not started before the tab is open
comm._warming[0].join(120)
print(section_schema._VALIDATOR is not None)
"""
    done = subprocess.run([sys.executable, "-c", code, str(pathlib.Path(__file__).parent)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
