"""Start a real JupyterLab (or Jupyter Notebook 7) and Debian's Chromium (shared by
tests/e2e and bench/)."""

from __future__ import annotations

import contextlib
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_lab(tmp: pathlib.Path, notebooks: dict, app: str = "lab"):
    """`jupyter lab` (or with `app="notebook"`, Jupyter Notebook 7) on 127.0.0.1 with a
    token, serving `notebooks` (name -> nbformat node) from a fresh root; yields (base_url,
    token, root). The kernel imports this checkout."""
    root = tmp / "root"
    root.mkdir()
    for name, nb in notebooks.items():
        nbformat.write(nb, root / name)
    port, token = free_port(), secrets.token_hex(16)
    bindir = str(pathlib.Path(sys.executable).parent)
    env = dict(os.environ)
    env.update(
        PATH=bindir + os.pathsep + env.get("PATH", ""),
        PYTHONPATH=str(ROOT / "kernel_lib"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
    )
    # this checkout's prebuilt lab extension first (as PYTHONPATH does for the kernel)
    ext = ROOT / "kernel_lib" / "diffwire" / "labextension"
    if (ext / "package.json").exists():
        (tmp / "data" / "labextensions").mkdir(parents=True)
        (tmp / "data" / "labextensions" / "diffwire-editor").symlink_to(ext)
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(tmp / "data"), env.get("JUPYTER_PATH")) if p)
    # no "get Jupyter news?" toast over the screenshots
    notes = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    notes.mkdir(parents=True)
    (notes / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    log = open(tmp / "lab.log", "w")
    # Notebook 7 names the same settings on its own app class, and took this one only from
    # its config file (not from the command line)
    (tmp / "config").mkdir(exist_ok=True)
    (tmp / "config" / "jupyter_notebook_config.json").write_text(
        '{"JupyterNotebookApp": {"expose_app_in_browser": true}}')
    cls = "LabApp" if app == "lab" else "JupyterNotebookApp"
    proc = subprocess.Popen(
        [str(pathlib.Path(bindir) / "jupyter"), app, "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", f"--{cls}.news_url=None",
         f"--{cls}.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         f"--{cls}.expose_app_in_browser=True", "--allow-root"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = (tmp / "lab.log").read_text()[-3000:]
                    raise RuntimeError("jupyter lab did not start:\n" + tail) from None
                time.sleep(0.5)
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def chromium(profile: pathlib.Path, viewport=(1400, 900)):
    """A persistent headless context on Debian's chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        raise RuntimeError("chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=exe, headless=True,
            viewport={"width": viewport[0], "height": viewport[1]}, args=CHROMIUM_ARGS)
        ctx.set_default_timeout(30_000)
        try:
            yield ctx
        finally:
            ctx.close()


def notebook_url(base: str, token: str, name: str, app: str = "lab") -> str:
    if app == "lab":
        return f"{base}/lab/tree/{name}?reset&token={token}"
    return f"{base}/notebooks/{name}?token={token}"


def wait_for_kernel(page, select_dialog: bool = False) -> None:
    """Wait for the open notebook's kernel; accept Notebook 7's "Select Kernel" dialog,
    which otherwise swallows the first run."""
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                           "window.jupyterapp.shell.currentWidget.sessionContext", timeout=90_000)
    if select_dialog:
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        try:
            dialog.wait_for(timeout=3_000)
            dialog.click()
        except Exception:  # noqa: BLE001 - no dialog: the notebook names its kernel
            pass
    page.wait_for_function("() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
                           " return s.session && s.session.kernel && s.session.kernel.connectionStatus === 'connected'"
                           " && s.session.kernel.status === 'idle'; }", timeout=90_000)


def open_notebook(ctx, base: str, token: str, name: str, app: str = "lab", run: bool = True):
    """Open notebook `name`, wait for its kernel, run all cells and wait for the editor."""
    page = ctx.new_page()
    page.goto(notebook_url(base, token, name, app), wait_until="domcontentloaded")
    wait_for_kernel(page, select_dialog=app == "notebook")
    if not run:
        return page
    node = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .dw-root .react-flow__node").first
    # the first run right after load is sometimes ignored: retry
    for _attempt in range(3):
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            node.wait_for(timeout=60_000)
            break
        except Exception:  # noqa: BLE001 - retried; the wait below raises if all fail
            continue
    node.wait_for(timeout=30_000)
    return page
