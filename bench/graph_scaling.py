"""Load, validate and compile time against graph size: the per-node cost should stay flat
(no quadratic blow-up). `--nodes 200000` measures one large document (issue 13's target:
load + validate + compile under 20 s and 600 MB) in a fresh process per step, with its
peak memory.

Run: ``.venv/bin/python bench/graph_scaling.py`` (500 to 5,000 nodes, median of 3) or
``.venv/bin/python bench/graph_scaling.py --nodes 200000``.
"""

import argparse
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import torch  # noqa: E402

import diffwire as dw  # noqa: E402


def chain(n: int) -> dw.Graph:
    # Positions given: placing a node without one looks at every node (quadratic while the
    # document is built, which is not what this measures).
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, 8], position=[0.0, 0.0])
    for i in range(n - 2):
        at = [(i + 1) * g.STEP_X, 0.0]
        node = g.add("Linear", in_features=8, out_features=8, position=at) if i % 2 == 0 \
            else g.add("Activation", fn="tanh", position=at)
        g.connect(prev, node)
        prev = node
    out = g.add("Output", name="y", position=[(n - 1) * g.STEP_X, 0.0])
    g.connect(prev, out)
    return g


def one(n: int) -> tuple[float, float, float]:
    """(load, validate, compile) seconds of an n-node chain read from its JSON text."""
    text = chain(n).to_json()
    t0 = time.perf_counter()
    g = dw.loads(text)
    t1 = time.perf_counter()
    g.validate()
    t2 = time.perf_counter()
    g.compile(check=False)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def large(n: int) -> None:
    """One document, opened from a file that a child process wrote (building it here would
    put the builder's memory into this process's peak). Each stage's wall and CPU seconds
    (the machine is shared: CPU time is what the code costs, wall time what a person waits)
    and the peak memory after it."""
    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    before = peak()
    tmp = tempfile.TemporaryDirectory()
    path = pathlib.Path(tmp.name) / "chain.diffwire"
    subprocess.run([sys.executable, __file__, "--write", str(n), str(path)], check=True)
    stages = []
    graph = None
    for name in ("load", "validate", "compile"):
        w0, c0 = time.perf_counter(), time.process_time()
        if name == "load":  # as a person opens it: the file read, parsed, checked
            graph = dw.load(path)
            tmp.cleanup()
        elif name == "validate":
            graph.validate()
        else:
            model = graph.compile(check=False)
        stages.append((name, time.perf_counter() - w0, time.process_time() - c0, peak()))
    wall = sum(s[1] for s in stages)
    cpu = sum(s[2] for s in stages)
    for name, w, c, mb in stages:
        print(f"{name:8s} wall {w:6.2f} s  cpu {c:6.2f} s  ({w / n * 1e6:4.0f} us/node wall, "
              f"{c / n * 1e6:4.0f} cpu)  peak after {mb:.0f} MB")
    print(f"nodes {n}: total wall {wall:.2f} s, cpu {cpu:.2f} s ({wall / n * 1e6:.0f} us/node "
          f"wall); peak memory {peak():.0f} MB (after imports {before:.0f} MB; "
          f"{len(model.blocks.built())} node modules built, {len(model.blocks.keys())} nodes); load average "
          f"{os.getloadavg()[0]:.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, help="one document of this size instead of the sweep")
    ap.add_argument("--write", nargs=2, metavar=("NODES", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write:
        pathlib.Path(args.write[1]).write_text(chain(int(args.write[0])).to_json())
        return
    chain(50).validate()  # warm-up
    if args.nodes:
        # no meta-kernel warm-up here: the chain's path never runs one, and torch's first
        # meta kernel imports its Python decompositions and sympy (68 MB of the peak)
        large(args.nodes)
        return
    torch.tanh(torch.empty(2, device="meta"))  # torch's one-time imports for meta ops
    rows = []
    for n in (500, 1000, 2000, 5000):
        runs = [one(n) for _ in range(3)]
        rows.append((n, *(statistics.median(r[i] for r in runs) for i in range(3))))
    print("nodes  load_s  validate_s  compile_s  validate_us_per_node")
    for n, ld, v, c in rows:
        print(f"{n:5d}  {ld:6.3f}  {v:10.3f}  {c:9.3f}  {v / n * 1e6:8.0f}")
    for i, what in ((1, "load"), (2, "validate"), (3, "compile")):
        ratio = (rows[-1][i] / rows[-1][0]) / (rows[0][i] / rows[0][0])
        print(f"RATIO {what} per-node cost 5000 vs 500 nodes: {ratio:.2f} (1.0 = linear)")


if __name__ == "__main__":
    main()
