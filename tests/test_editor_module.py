"""How the editor's code reaches the browser (widget/bundle.py): sizes of what is built and
shipped, the small module a notebook stores, and the kernel's answers for modules."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import zipfile

import pytest

import diffwire as dw
from diffwire.widget import bundle

from helpers import quickstart

ROOT = pathlib.Path(__file__).resolve().parents[1]
STATIC = ROOT / "kernel_lib" / "diffwire" / "widget" / "static"
LABEXT = ROOT / "kernel_lib" / "diffwire" / "labextension"
MB = 1_000_000


def built(*paths: pathlib.Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        pytest.fail(f"not built: {missing} (make js labext)")


def test_widget_module_is_small():
    built(STATIC / "editor.js", STATIC / "elk.js")
    size = (STATIC / "editor.js").stat().st_size
    assert size <= 1.5 * MB, f"editor.js is {size / MB:.2f} MB"
    assert b"plotly" not in (STATIC / "editor.js").read_bytes().lower()


def test_lab_extension_is_small_and_serves_the_widget_module():
    built(LABEXT / "package.json")
    total = sum(p.stat().st_size for p in LABEXT.rglob("*") if p.is_file())
    assert total <= 2 * MB, f"the lab extension is {total / MB:.2f} MB"
    # the bootstrap asks for this file: the same bytes as the kernel's editor.js
    name = bundle.module_file()
    assert (LABEXT / "static" / name).read_bytes() == (STATIC / "editor.js").read_bytes()


def test_wheel_is_small(tmp_path):
    built(STATIC / "editor.js", STATIC / "elk.js", LABEXT / "package.json")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
                   check=True, timeout=300)
    wheel = next(tmp_path.glob("diffwire-*.whl"))
    size = wheel.stat().st_size
    assert size <= 4 * MB, f"the wheel is {size / MB:.2f} MB"
    names = zipfile.ZipFile(wheel).namelist()
    for f in ("diffwire/widget/static/editor.js", "diffwire/widget/static/elk.js",
              "diffwire/widget/bootstrap.js"):
        assert f in names
    assert any(n.endswith(f"labextensions/diffwire-editor/static/{bundle.module_file()}")
               for n in names)


def test_the_notebook_stores_a_bootstrap_not_the_editor():
    ed = dw.Editor(quickstart())
    esm = ed._esm
    assert len(esm.encode()) < 10_000
    assert bundle.module_file() in esm and "lab/extensions" in esm
    full = dw.Editor(quickstart(), embed_module=True)._esm
    assert full == (STATIC / "editor.js").read_text()


def _answers(ed, content):
    got = []
    ed.send = lambda ev, buffers=None: got.append((ev, buffers or []))
    ed._on_msg(ed, content, [])
    return got


def test_the_kernel_sends_the_editor_module_and_elk():
    ed = dw.Editor(quickstart())
    [(ev, bufs)] = _answers(ed, {"cmd": "module"})
    assert ev == {"event": "module", "name": "editor"}
    assert bufs[0] == (STATIC / "editor.js").read_bytes()
    [(ev, bufs)] = _answers(ed, {"cmd": "asset", "name": "elk"})
    assert ev["name"] == "elk" and "error" not in ev
    assert bufs[0] == (STATIC / "elk.js").read_bytes()


def test_an_unknown_asset_is_refused_by_name():
    ed = dw.Editor(quickstart())
    for name in ("../../__init__.py", "editor.css", "nope"):
        [(ev, bufs)] = _answers(ed, {"cmd": "asset", "name": name})
        assert bufs == [] and "unknown asset" in ev["error"] and repr(name) in ev["error"]
