"""Long runs with the editor attached (issue 20, point 4): train a tiny model for a million
steps from the editor's Train button in a real JupyterLab with headless Chromium drawing the
live plots, and sample the kernel's resident memory and the page's JS heap as it goes.

What it reports:

- kernel RSS growth from the end of warm-up (the first `--warmup` steps) to the end, target
  under 50 MB;
- the page's JS heap (after a forced garbage collection, through the DevTools protocol) at
  the end of warm-up and at the end, target flat;
- that the plot still shows the first step at the end (the loss plot's smallest drawn x),
  and how many points it draws;
- the checkpoints kept on disk (retention: last 3 and the best).

Run: ``.venv/bin/python bench/soak.py [--steps 1000000] [--every 20]``. Writes
``artifacts/bench/soak.json`` (every sample) and ``artifacts/bench/soak.png`` (the live
plots at the end). Needs the built extension (``make js``) and chromium. Takes roughly steps / rate:
about 15 minutes for a million steps on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "kernel_lib"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

MB = 1024 * 1024


def notebook(steps: int, out: pathlib.Path) -> object:
    """The user's notebook: a one-weight regression in an editor whose Train runs `steps`."""
    import nbformat

    code = f"""import numpy as np
import diffwire as dw
g = dw.Graph()
x = g.add("Input", name="x", shape=[None, 1])
lin = g.add("Linear", id="lin", in_features=1, out_features=1)
g.connect(x, lin)
g.add_output(lin, name="y")
xs = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
ed = dw.Editor(g, height="620px", out={str(out)!r}, train_options=dict(
    data={{"x": xs, "y": 2 * xs + 1 + 0.05 * np.sin(40 * xs)}}, loss="mse",
    optimizer=("sgd", {{"lr": 1e-3}}), steps={steps}, seed=0, progress=False,
    checkpoint_every={max(1, steps // 20)}, keep_checkpoints=3, keep_best=True))
ed"""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def kernel_process():
    """The ipykernel started under this benchmark (the only one)."""
    import psutil

    for proc in psutil.Process().children(recursive=True):
        try:
            if "ipykernel" in " ".join(proc.cmdline()):
                return proc
        except psutil.Error:
            continue
    raise RuntimeError("no kernel process found")


def js_heap(cdp) -> float:
    """The page's live JS heap in MB after a full garbage collection."""
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / MB


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--warmup", type=int, default=50_000)
    ap.add_argument("--every", type=float, default=20.0, help="seconds between samples")
    ap.add_argument("--out", default=str(ROOT / "artifacts" / "bench"))
    args = ap.parse_args()
    from labserver import chromium, open_notebook, running_lab

    shots = pathlib.Path(args.out)
    shots.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="dw-soak-"))
    runs = tmp / "runs"
    samples: list[dict] = []
    print(f"load before: {os.getloadavg()[0]:.2f}; {args.steps} steps", flush=True)
    with running_lab(tmp, {"soak.ipynb": notebook(args.steps, runs)}) as (base, token, _), \
            chromium(tmp / "profile") as ctx:
        page = open_notebook(ctx, base, token, "soak.ipynb")
        cdp = ctx.new_cdp_session(page)
        kernel = kernel_process()
        root = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .dw-root").first
        root.locator("button.dw-train:not([disabled])").click()
        state = root.locator(".dw-live[data-run-state]")
        step_el = root.locator(".dw-live .dw-step")
        plot = root.locator(".dw-loss-plot").first
        t0 = time.monotonic()
        while True:
            page.wait_for_timeout(int(args.every * 1000))
            run_state = state.get_attribute("data-run-state")
            step = int(step_el.get_attribute("data-step") or 0) if step_el.count() else 0
            sample = {"t": round(time.monotonic() - t0, 1), "step": step, "state": run_state,
                      "kernel_rss_mb": round(kernel.memory_info().rss / MB, 1),
                      "js_heap_mb": round(js_heap(cdp), 1),
                      "plot_points": int(plot.get_attribute("data-points") or 0),
                      "plot_x_min": plot.get_attribute("data-x-min"),
                      "load": round(os.getloadavg()[0], 2)}
            samples.append(sample)
            print(json.dumps(sample), flush=True)
            if run_state in ("finished", "stopped", "failed"):
                break
        page.wait_for_timeout(3000)
        plot.scroll_into_view_if_needed()
        root.locator(".dw-live").first.screenshot(path=str(shots / "soak.png"))
        final = {"kernel_rss_mb": round(kernel.memory_info().rss / MB, 1), "js_heap_mb": round(js_heap(cdp), 1),
                 "plot_x_min": plot.get_attribute("data-x-min"),
                 "plot_points": int(plot.get_attribute("data-points") or 0)}
    warm = next((s for s in samples if s["step"] >= args.warmup), samples[0])
    kept = sorted(p.name for p in runs.glob("*/checkpoints/*"))
    result = {"steps": args.steps, "state": samples[-1]["state"], "seconds": samples[-1]["t"],
              "warm": warm, "final": final, "checkpoints_kept": kept, "samples": samples,
              "kernel_growth_mb": round(final["kernel_rss_mb"] - warm["kernel_rss_mb"], 1),
              "js_heap_growth_mb": round(final["js_heap_mb"] - warm["js_heap_mb"], 1),
              "peak_kernel_rss_mb": max(s["kernel_rss_mb"] for s in samples),
              "peak_js_heap_mb": max(s["js_heap_mb"] for s in samples)}
    (shots / "soak.json").write_text(json.dumps(result, indent=1))
    print(f"\nload after: {os.getloadavg()[0]:.2f}")
    print(f"run: {result['state']} after {result['seconds']:.0f} s "
          f"({args.steps / max(1.0, result['seconds']):.0f} steps/s)")
    print(f"kernel RSS: {warm['kernel_rss_mb']} MB at step {warm['step']} -> "
          f"{final['kernel_rss_mb']} MB at the end: GROWTH {result['kernel_growth_mb']} MB "
          f"(target < 50; peak {result['peak_kernel_rss_mb']})")
    print(f"JS heap after GC: {warm['js_heap_mb']} MB -> {final['js_heap_mb']} MB: "
          f"GROWTH {result['js_heap_growth_mb']} MB (peak {result['peak_js_heap_mb']})")
    print(f"plot: first drawn step {final['plot_x_min']}, {final['plot_points']} points received")
    print(f"checkpoints kept: {kept}")


if __name__ == "__main__":
    main()
