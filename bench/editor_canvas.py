"""Editor canvas benchmark (issue 5), in headless Debian Chromium.

1. A generated graph of 1000 block nodes in the editor, against a bare React Flow page with
   1000 comparable custom nodes (3 handles, a label, a text input), in the same run: time to
   first render (from navigation start) and pan frames per second, with every node on
   screen and at zoom 1. Pan: pointer events dispatched inside the page, one per animation
   frame; a frame counts when the viewport moved in it. Median of 3 runs.
2. Validate round trip at 200 nodes in a real JupyterLab: an edit typed into the inspector,
   kernel validation, the error badge shown (and gone again); p95 over the trials.
3. Time to first usable canvas (issue 19), in JupyterLab and in Notebook 7, warm server and
   kernel: from running the cell that shows a `dw.Editor` to its nodes and palette drawn,
   each trial in a fresh tab (the page's JavaScript cold, the browser's HTTP cache warm).
   "after": this checkout (a 6 KB bootstrap importing the module from the lab extension);
   "before", with ``--before-module PATH``: the editor.js of an earlier build (6.7 MB with
   plotly and elkjs) inlined in the widget state, as every earlier version did. Alternated,
   same run; median of ``--load-trials``.

Run: ``.venv/bin/python bench/editor_canvas.py`` (``make bench``). Needs the built bundle
(``make js``) and chromium.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import pathlib
import shutil
import statistics
import sys
import tempfile
import threading

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "kernel_lib"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import nbformat  # noqa: E402
from labserver import chromium, open_notebook, running_lab, wait_for_kernel  # noqa: E402

import diffwire as dw  # noqa: E402

STATIC = ROOT / "kernel_lib" / "diffwire" / "widget" / "static"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{name}.css"><style>html,body,#root{{margin:0;height:100%}}</style>
<script src="data.js"></script></head><body><div id="root"></div>
<script type="module" src="{name}.js"></script></body></html>"""


def big_graph(n: int, cols: int = 32) -> dw.Graph:
    """`n` blocks on a grid, chained: mostly Add (two inputs, one output, like the bare nodes)."""
    g = dw.Graph()
    prev = None
    for i in range(n):
        pos = [(i % cols) * 220.0, (i // cols) * 120.0]
        node = g.add("Add", position=pos) if i % 10 else g.add("Linear", in_features=4,
                                                                out_features=4, position=pos)
        if prev is not None:
            port = "a" if node.type == "Add" else "x"
            g.edges.append(dw.Edge(prev.id, "out", node.id, port))
        prev = node
    return g


def serve(folder: pathlib.Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


TRACE_CATEGORIES = "devtools.timeline,blink"


def trace_summary(events: list[dict], frames: int, k: int = 18) -> list[tuple[float, str]]:
    """Self time per trace event name (ms per pan frame) on the page's main thread."""
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"}
    spans: dict[tuple, list] = {}
    for e in events:
        if (e["pid"], e["tid"]) in main and e.get("ph") == "X" and "dur" in e:
            spans.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"], e["name"]))
    self_us: dict[str, float] = {}
    for evs in spans.values():
        evs.sort(key=lambda t: (t[0], -t[1]))
        stack: list[list] = []  # [end, name, child time]
        for start, end, name in evs:
            while stack and stack[-1][0] <= start:
                top = stack.pop()
                self_us[top[1]] = self_us.get(top[1], 0.0) + top[3] - top[2]
            if stack:
                stack[-1][2] += end - start
            stack.append([end, name, 0.0, end - start])
        for top in stack:
            self_us[top[1]] = self_us.get(top[1], 0.0) + top[3] - top[2]
    return sorted(((v / 1000 / frames, n) for n, v in self_us.items()), reverse=True)[:k]


def traced_pan(page, frames: int) -> float:
    """Pan as measure_page does, with a Chromium trace; prints where a frame's time goes."""
    cdp = page.context.new_cdp_session(page)
    events: list[dict] = []
    cdp.on("Tracing.dataCollected", lambda p: events.extend(p["value"]))
    done = threading.Event()
    cdp.on("Tracing.tracingComplete", lambda p: done.set())
    cdp.send("Tracing.start", {"categories": TRACE_CATEGORIES, "transferMode": "ReportEvents"})
    fps = page.evaluate(f"() => window.__bench.pan({frames})")
    cdp.send("Tracing.end")
    while not done.is_set():
        page.wait_for_timeout(100)
    print(f"{page.url.rsplit('/', 1)[-1]}: {fps:.1f} fps; main thread self time per frame:")
    for ms, name in trace_summary(events, frames):
        print(f"{ms:8.2f} ms  {name}")
    return fps


def measure_page(ctx, url: str, frames: int, trace: bool = False) -> dict:
    page = ctx.new_page()
    try:
        page.goto(url)
        page.wait_for_function("() => window.__bench", timeout=120_000)
        first = page.evaluate("() => window.__bench.firstRender")
        page.wait_for_timeout(500)
        if trace:
            traced_pan(page, frames)
        all_fps = page.evaluate(f"() => window.__bench.pan({frames})")
        page.evaluate("() => window.__rf.setViewport({x: -200, y: -100, zoom: 1})")
        page.wait_for_timeout(800)
        zoom1_fps = page.evaluate(f"() => window.__bench.pan({frames})")
        return {"first_render_s": first, "pan_all_fps": all_fps, "pan_zoom1_fps": zoom1_fps}
    finally:
        page.close()


def canvas_bench(ctx, n: int, runs: int, frames: int, trace: bool = False) -> dict:
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="dw-bench-"))
    try:
        for f in (STATIC / "bench").iterdir():
            shutil.copy(f, tmp / f.name)
        doc = big_graph(n).to_dict()
        (tmp / "data.js").write_text("window.__DW_BENCH__ = " + json.dumps(
            {"doc": doc, "catalog": dw.catalog(), "n": n}) + ";")
        for name in ("bench-editor", "bench-bare"):
            (tmp / f"{name}.html").write_text(PAGE.format(title=name, name=name))
        srv, base = serve(tmp)
        results: dict[str, list[dict]] = {"bare": [], "editor": []}
        try:
            for i in range(runs):
                for page in ("bare", "editor"):
                    results[page].append(measure_page(ctx, f"{base}/bench-{page}.html", frames,
                                                      trace and i == 0))
                print(f"run {i + 1}: " + ", ".join(
                    f"{page} {r[-1]['first_render_s']:.2f} s, {r[-1]['pan_all_fps']:.1f} fps all,"
                    f" {r[-1]['pan_zoom1_fps']:.1f} fps zoom 1" for page, r in results.items()),
                    flush=True)
        finally:
            srv.shutdown()
        return {page: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
                for page, rs in results.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def top_functions(profile: dict, k: int = 25) -> list[tuple[float, str]]:
    """Self time per function (ms) from a CDP CPU profile, largest first."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    self_ms: dict[str, float] = {}
    for sample, dt in zip(profile["samples"], profile["timeDeltas"]):
        f = nodes[sample]["callFrame"]
        name = f"{f['functionName'] or '(anon)'} {f['url'].rsplit('/', 1)[-1]}:{f['lineNumber']}"
        self_ms[name] = self_ms.get(name, 0.0) + dt / 1000
    return sorted(((v, n) for n, v in self_ms.items()), reverse=True)[:k]


def roundtrip_bench(ctx, tmp: pathlib.Path, n: int, trials: int, profile: bool = False) -> dict:
    """Edit -> kernel validation -> badge, in JupyterLab, on a chain of `n` nodes."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"""import diffwire as dw
g = dw.Graph()
prev = g.add("Input", name="x", shape=[None, 4], position=[0, 0])
for i in range({n - 2}):
    node = g.add("MLP", widths=[4, 4, 4], position=[220.0 * ((i + 1) % 20), 140.0 * ((i + 1) // 20)])
    g.connect(prev, node)
    prev = node
g.add_output(prev, name="y")
ed = dw.Editor(g, height="700px")
ed""")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with running_lab(tmp, {"roundtrip.ipynb": nb}) as (base, token, _root):
        page = open_notebook(ctx, base, token, "roundtrip.ipynb")
        page.wait_for_function("() => document.querySelectorAll('.dw-root .react-flow__node').length"
                               f" >= {n}", timeout=60_000)
        page.wait_for_timeout(1500)
        # select by a click event in the page: with 200 nodes fitted, the node is tiny
        page.evaluate("() => document.querySelector('.dw-root .react-flow__node[data-id=\"mlp\"]').click()")
        page.locator('.dw-inspector [data-param="widths"] input').wait_for()
        if profile:
            cdp = page.context.new_cdp_session(page)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            cdp.send("Profiler.start")
        times = page.evaluate(
            """async (trials) => {
              const input = () => document.querySelector('.dw-inspector [data-param="widths"] input');
              const node = () => document.querySelector('.dw-root .react-flow__node[data-id="mlp"]');
              const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
              const type = (text) => {
                const el = input();
                setter.call(el, text);
                el.dispatchEvent(new Event('input', {bubbles: true}));
                el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
              };
              const until = (ok) => new Promise((resolve, reject) => {
                const t0 = performance.now();
                const tick = () => {
                  if (ok()) return resolve(performance.now() - t0);
                  if (performance.now() - t0 > 10000) return reject(new Error('timeout'));
                  requestAnimationFrame(tick);
                };
                tick();
              });
              const badge = () => node().querySelector('.dw-badge-error') !== null;
              const out = [];
              const parts = [];
              const last = (name) => { const e = performance.getEntriesByName(name); return e.length ? e[e.length - 1].startTime : NaN; };
              const part = (t) => parts.push([last('dw-written') - last('dw-commit'), last('dw-analysis') - last('dw-written'), performance.now() - last('dw-analysis')]);
              window.__parts = parts;
              for (let i = 0; i < trials; i++) {
                type('5, 4, 4');
                out.push(await until(badge));
                part();
                await new Promise((r) => setTimeout(r, 50));
                type('4, 4, 4');
                out.push(await until(() => !badge()));
                part();
                await new Promise((r) => setTimeout(r, 50));
              }
              return [out, parts];
            }""",
            trials,
        )
        if profile:
            for ms, name in top_functions(cdp.send("Profiler.stop")["profile"]):
                print(f"{ms:8.1f} ms  {name}")
        page.close()
    times, parts = times
    cols = list(zip(*parts))
    write, kernel, render = (statistics.median(c) for c in cols)
    print(f"round trip parts (median ms): write {write:.0f}, kernel and network {kernel:.0f}, "
          f"render after the event {render:.0f}", flush=True)
    times = sorted(times)
    return {"n": len(times), "median_ms": statistics.median(times),
            "p95_ms": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))],
            "max_ms": times[-1]}


LOAD_SETUP = """import pathlib
import diffwire as dw
g = dw.Graph()
prev = g.add("Input", name="x", shape=[None, 4], position=[0, 0])
for i in range(8):
    node = g.add("MLP", widths=[4, 16, 4], position=[220.0 * (i + 1), 0])
    g.connect(prev, node)
    prev = node
g.add_output(prev, name="y")
BEFORE = pathlib.Path({before!r}).read_text() if {before!r} else None
VARIANT = {{}}"""
LOAD_SHOW = "dw.Editor(g, height='600px', **VARIANT)"


def load_bench(ctx, tmp: pathlib.Path, trials: int, before: str | None) -> dict:
    """Seconds from running the editor's cell to its canvas usable, per front end and
    variant (see the module docstring, 3.)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(LOAD_SETUP.format(before=before or "")),
                nbformat.v4.new_code_cell(LOAD_SHOW)]
    variants = {"after": "VARIANT = {}"}
    if before:
        variants["before"] = "VARIANT = {'_esm': BEFORE}"
    out: dict = {}
    for app in ("lab", "notebook"):
        (tmp / app).mkdir()
        with running_lab(tmp / app, {"load.ipynb": nb}, app=app) as (base, token, _root):
            warm = open_notebook(ctx, base, token, "load.ipynb", app=app)  # kernel warm
            times: dict[str, list[float]] = {v: [] for v in variants}
            for _ in range(trials):
                for name, code in variants.items():
                    page = ctx.new_page()
                    url = (f"{base}/lab/tree/load.ipynb?token={token}" if app == "lab"
                           else f"{base}/notebooks/load.ipynb?token={token}")
                    page.goto(url, wait_until="domcontentloaded")
                    wait_for_kernel(page)
                    page.wait_for_timeout(1000)
                    ms = page.evaluate(
                        """async (code) => {
                          const nb = window.jupyterapp.shell.currentWidget;
                          const kernel = nb.sessionContext.session.kernel;
                          await kernel.requestExecute({code, silent: true}).done;
                          nb.content.activeCellIndex = 1;
                          const t0 = performance.now();
                          await window.jupyterapp.commands.execute('notebook:run-cell');
                          return await new Promise((resolve, reject) => {
                            const tick = () => {
                              const root = nb.node.querySelector('.dw-root');
                              if (root && root.querySelectorAll('.react-flow__node').length >= 10
                                  && root.querySelector('.dw-palette-item')) return resolve(performance.now() - t0);
                              if (performance.now() - t0 > 60000) return reject(new Error('timeout'));
                              requestAnimationFrame(tick);
                            };
                            tick();
                          });
                        }""", code)
                    times[name].append(ms / 1000)
                    page.close()
            warm.close()
        out[app] = {name: statistics.median(ts) for name, ts in times.items()}
        print(f"first usable canvas, {app}: " + ", ".join(
            f"{name} {statistics.median(ts):.2f} s (runs {', '.join(f'{t:.2f}' for t in ts)})"
            for name, ts in times.items()), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--frames", type=int, default=180)
    ap.add_argument("--roundtrip-nodes", type=int, default=200)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--roundtrip-only", action="store_true", help="skip the canvas benchmark")
    ap.add_argument("--load-only", action="store_true",
                    help="only the time to first usable canvas (3.)")
    ap.add_argument("--load-trials", type=int, default=3)
    ap.add_argument("--before-module", default=None,
                    help="an earlier build's editor.js, for the load benchmark's 'before'")
    ap.add_argument("--canvas-only", action="store_true", help="skip the round trip in JupyterLab")
    ap.add_argument("--trace", action="store_true",
                    help="a Chromium trace of each page's first pan with every node on screen: "
                         "main-thread self time per frame by event (layerize, paint, script)")
    ap.add_argument("--profile", action="store_true",
                    help="print the page's busiest functions during the round trips (build "
                         "the bundle with `node build.mjs --names` in extension/ for names)")
    args = ap.parse_args()
    if not (STATIC / "bench" / "bench-editor.js").exists():
        sys.exit("build the bundle first: make js")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="dw-bench-lab-"))
    with chromium(tmp / "profile", viewport=(1400, 900)) as ctx:
        if args.load_only:
            load_bench(ctx, tmp, args.load_trials, args.before_module)
            print("target: first usable canvas < 1 s (warm server)")
            shutil.rmtree(tmp, ignore_errors=True)
            return
        if not args.roundtrip_only:
            canvas = canvas_bench(ctx, args.nodes, args.runs, args.frames, args.trace)
            print_canvas(canvas, args)
        rt = None if args.canvas_only else roundtrip_bench(ctx, tmp, args.roundtrip_nodes,
                                                           args.trials, args.profile)
        if not args.canvas_only:
            load_bench(ctx, tmp, args.load_trials, args.before_module)
    shutil.rmtree(tmp, ignore_errors=True)
    if rt is None:
        return
    print(f"validate round trip, {args.roundtrip_nodes} nodes, {rt['n']} edits: "
          f"median {rt['median_ms']:.0f} ms, p95 {rt['p95_ms']:.0f} ms, max {rt['max_ms']:.0f} ms")
    print("targets: first render < 1.5 s; pan all on screen >= 1.3x bare; zoom 1 >= 50 fps; "
          "round trip p95 < 100 ms")


def print_canvas(canvas: dict, args) -> None:
    b, e = canvas["bare"], canvas["editor"]
    print(f"editor canvas, {args.nodes} nodes, headless chromium, median of {args.runs} runs")
    print(f"{'':28s}{'bare React Flow':>16s}{'diffwire editor':>16s}{'ratio':>8s}")
    rows = [("first render (s)", "first_render_s", "{:.2f}"),
            ("pan fps, all on screen", "pan_all_fps", "{:.1f}"),
            ("pan fps, zoom 1", "pan_zoom1_fps", "{:.1f}")]
    for label, key, fmt in rows:
        ratio = e[key] / b[key] if b[key] else float("nan")
        print(f"{label:28s}{fmt.format(b[key]):>16s}{fmt.format(e[key]):>16s}{ratio:>8.2f}",
              flush=True)


if __name__ == "__main__":
    main()
