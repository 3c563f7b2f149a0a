"""The JupyterLab extension ships prebuilt: the wheel carries it as shared data, and
`jupyter labextension list` shows it enabled wherever it is installed."""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAME = "diffwire-editor"
BUILD = ROOT / "kernel_lib" / "diffwire" / "labextension"
BIN = pathlib.Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _jupyter():
    exe = shutil.which("jupyter", path=str(BIN))
    assert exe is not None, "jupyter is not installed in this environment (make deps)"
    return exe


def _ensure_built():
    if (BUILD / "package.json").exists():
        return
    assert shutil.which("npm") is not None, "the lab extension is not built and npm is missing"
    subprocess.run(["make", "-C", str(ROOT / "extension"), "lab", f"PY={sys.executable}"],
                   check=True, timeout=600)


def labextension_list(env_extra: dict, tmp: pathlib.Path) -> str:
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"), **env_extra)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    r = subprocess.run([_jupyter(), "labextension", "list"], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return ANSI.sub("", r.stdout + r.stderr)


def assert_enabled_prebuilt(listing: str, where: pathlib.Path) -> None:
    """Listed under the labextensions folder `where` (a prebuilt, federated extension, not one
    built into the app), enabled, OK, and installed by the Python package."""
    sections = re.split(r"\n(?=\S)", listing)
    section = next((s for s in sections if s.splitlines()[0].strip() == str(where)), None)
    assert section is not None, f"no section for {where}:\n{listing}"
    version = json.loads((ROOT / "extension" / "package.json").read_text())["version"]
    assert re.search(rf"^\s+{re.escape(NAME)} v{re.escape(version)} enabled OK \(python, diffwire\)",
                     section, re.M), listing


def test_wheel_ships_the_prebuilt_extension(tmp_path):
    import hatch_jupyter_builder  # noqa: F401  (the test extras install the build backend)
    import hatchling  # noqa: F401

    _ensure_built()
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                        "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("diffwire-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        data = f"diffwire-{wheel.name.split('-')[1]}.data/data/"
        ext = f"{data}share/jupyter/labextensions/{NAME}/"
        for f in ("package.json", "install.json", f"schemas/{NAME}/plugin.json"):
            assert ext + f in names, f
        assert any(n.startswith(ext + "static/remoteEntry.") for n in names)
        assert "diffwire/widget/static/editor.js" in names  # the anywidget bundle too
        assert not any(n.startswith("diffwire/labextension/") for n in names)  # shipped once
        assert "diffwire/widget/comm.py" in names
        z.extractall(tmp_path / "unpacked", [n for n in names if n.startswith(data)])
    share = tmp_path / "unpacked" / data / "share" / "jupyter"
    listing = labextension_list({"JUPYTER_PATH": str(share)}, tmp_path)
    assert_enabled_prebuilt(listing, share / "labextensions")


def test_labextension_list_shows_it_enabled(tmp_path):
    """In an environment where `pip install` put diffwire (make test from a clone), the
    venv's own copy; in a worktree that borrows another checkout's venv, this checkout's
    build on JUPYTER_PATH, exactly as the browser tests' server sees it."""
    _ensure_built()
    installed = pathlib.Path(sys.prefix) / "share" / "jupyter" / "labextensions" / NAME
    if (installed / "package.json").exists():
        listing = labextension_list({}, tmp_path)
        assert_enabled_prebuilt(listing, installed.parent)
        return
    data = tmp_path / "data"
    (data / "labextensions").mkdir(parents=True)
    (data / "labextensions" / NAME).symlink_to(BUILD)
    listing = labextension_list({"JUPYTER_PATH": str(data)}, tmp_path)
    assert_enabled_prebuilt(listing, data / "labextensions")
