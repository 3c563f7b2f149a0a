"""Executes a demo notebook in a real kernel that imports this checkout's diffwire."""

from __future__ import annotations

import os
import pathlib
import shutil
import sys

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_notebook(name: str, tmp_path: pathlib.Path, timeout: int = 300, env: dict | None = None,
                 fast: bool = True):
    """Run demos/NAME in `tmp_path` with DIFFWIRE_FAST=1 (or, with `fast=False`, in its
    default setting, as a person's Run All does); return the executed notebook."""
    nb = nbformat.read(ROOT / "demos" / name, as_version=4)
    old = dict(os.environ)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "kernel_lib")] + [p for p in old.get("PYTHONPATH", "").split(os.pathsep) if p])
    os.environ.pop("DIFFWIRE_FAST", None)
    if fast:
        os.environ["DIFFWIRE_FAST"] = "1"
    os.environ["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + old.get("PATH", "")
    os.environ.update(env or {})
    for src in (ROOT / "demos").iterdir():
        if src.suffix in (".diffwire", ".npz", ".csv", ".json"):
            (tmp_path / src.name).write_bytes(src.read_bytes())
        elif src.is_dir() and src.name == "ablations":  # kept results the notebooks read
            shutil.copytree(src, tmp_path / src.name, dirs_exist_ok=True)
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


def execute_cells(cells: list[str], tmp_path: pathlib.Path, store_widget_state: bool = True):
    """A new notebook of `cells`, executed in a kernel that imports this checkout, with its
    widget state stored (as nbclient and `jupyter nbconvert --execute` do by default)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    old = dict(os.environ)
    os.environ["PYTHONPATH"] = str(ROOT / "kernel_lib")
    os.environ["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + old["PATH"]
    try:
        NotebookClient(nb, timeout=180, kernel_name="python3",
                       store_widget_state=store_widget_state,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)
