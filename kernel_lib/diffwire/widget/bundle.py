"""How the editor's front-end code reaches the browser without living in the notebook.

anywidget stores a widget's module in the notebook's widget state, so a saved notebook with
the whole editor in it grew by megabytes. The widget's module is instead ``bootstrap.js``
(a few KB): it imports ``editor.<hash>.js`` from the static files of the diffwire
JupyterLab extension (served by JupyterLab and Notebook 7 at
``{base_url}lab/extensions/diffwire-editor/static/``; the build copies the module there)
and, where that fails (VS Code, Colab, a front end without the extension or with another
version), asks the kernel: the ``module`` command, answered with the module's text as a
binary buffer. Large modules used on demand (elkjs, for auto-layout) come from the kernel
the same way (the ``asset`` command), so no front end needs to serve them.
"""

from __future__ import annotations

import functools
import hashlib
import pathlib

STATIC = pathlib.Path(__file__).parent / "static"
EXTENSION = "diffwire-editor"
#: what the ``asset`` command may send, by name: nothing else under static/ is reachable
ASSETS = {"editor": "editor.js", "elk": "elk.js"}


@functools.lru_cache(maxsize=4)
def _digest(path: pathlib.Path, mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def module_file() -> str | None:
    """The editor module's name in the lab extension's static files (``editor.<hash>.js``),
    or None when the editor is not built."""
    path = STATIC / "editor.js"
    if not path.exists():
        return None
    return f"editor.{_digest(path, path.stat().st_mtime)}.js"


def bootstrap(file: str | None = None) -> str | None:
    """The module a notebook stores for an editor (see the module docstring)."""
    file = file or module_file()
    if file is None:
        return None
    text = (pathlib.Path(__file__).parent / "bootstrap.js").read_text()
    return text.replace("__FILE__", file).replace("__EXTENSION__", EXTENSION)


def asset(name: str) -> bytes:
    """The text of one of the editor's modules, by name (``editor``, ``elk``).

    **Raises:** `KeyError` for another name, `FileNotFoundError` when it is not built.
    """
    return (STATIC / ASSETS[name]).read_bytes()


def answer(send, cmd: str, name: str | None) -> None:
    """Answer a ``module`` or ``asset`` command through `send(event, buffers)`."""
    name = "editor" if cmd == "module" else str(name)
    event = {"event": cmd, "name": name}
    try:
        data = asset(name)
    except KeyError:
        send({**event, "error": f"unknown asset {name!r}; known: {sorted(ASSETS)}"}, [])
        return
    except FileNotFoundError:
        send({**event, "error": f"{ASSETS[name]} is not built (make js)"}, [])
        return
    send(event, [data])
