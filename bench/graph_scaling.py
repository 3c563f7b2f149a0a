"""Load, validate and compile time against graph size: the per-node cost should stay flat
(no quadratic blow-up). `--nodes 200000` measures one large document (issue 13's target:
load + validate + compile under 20 s and 600 MB) in a fresh process per step, with its
peak memory.

Run: ``.venv/bin/python bench/graph_scaling.py`` (500 to 5,000 nodes, median of 3) or
``.venv/bin/python bench/graph_scaling.py --nodes 200000``.
"""

import argparse
import pathlib
import resource
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import torch  # noqa: E402

import diffwire as dw  # noqa: E402


def chain(n: int) -> dw.Graph:
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, 8])
    for i in range(n - 2):
        node = g.add("Linear", in_features=8, out_features=8) if i % 2 == 0 else g.add(
            "Activation", fn="tanh")
        g.connect(prev, node)
        prev = node
    g.add_output(prev)
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
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load, val, comp = one(n)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"nodes {n}: load {load:.2f} s, validate {val:.2f} s, compile {comp:.2f} s, "
          f"total {load + val + comp:.2f} s ({(load + val + comp) / n * 1e6:.0f} us/node); "
          f"peak memory {peak:.0f} MB (after imports {before:.0f} MB)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, help="one document of this size instead of the sweep")
    args = ap.parse_args()
    torch.tanh(torch.empty(2, device="meta"))  # torch's one-time imports for meta ops
    chain(50).validate()  # warm-up
    if args.nodes:
        large(args.nodes)
        return
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
