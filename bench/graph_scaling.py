"""Validate and compile time against graph size, 500 to 5,000 nodes: the per-node cost
should stay flat (no quadratic blow-up)."""

import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "kernel_lib"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

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


def main():
    chain(50).validate()  # warm-up
    rows = []
    for n in (500, 1000, 2000, 5000):
        build, val, comp = [], [], []
        for _ in range(3):
            t0 = time.perf_counter()
            g = chain(n)
            t1 = time.perf_counter()
            g.validate()
            t2 = time.perf_counter()
            g.compile(check=False)
            t3 = time.perf_counter()
            build.append(t1 - t0)
            val.append(t2 - t1)
            comp.append(t3 - t2)
        rows.append((n, statistics.median(build), statistics.median(val), statistics.median(comp)))
    print("nodes  build_s  validate_s  compile_s  validate_us_per_node")
    for n, b, v, c in rows:
        print(f"{n:5d}  {b:7.3f}  {v:10.3f}  {c:9.3f}  {v / n * 1e6:8.0f}")
    ratio = (rows[-1][2] / rows[-1][0]) / (rows[0][2] / rows[0][0])
    print(f"RATIO validate per-node cost 5000 vs 500 nodes: {ratio:.2f} (1.0 = linear)")


if __name__ == "__main__":
    main()
