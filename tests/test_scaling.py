"""5,000 nodes validate and compile without quadratic blow-up: the per-node CPU time at
5,000 nodes stays within 3x of that at 500 (linear is 1x; quadratic would be 10x).
CPU time (process_time), best of a few tries, because the machine is shared."""

import gc
import time

import diffwire as dw


def chain(n: int) -> dw.Graph:
    g = dw.Graph()
    prev = g.add("Input", name="x", shape=[None, 8])
    for i in range(n - 2):
        node = (g.add("Linear", in_features=8, out_features=8) if i % 2 == 0
                else g.add("Activation", fn="tanh"))
        g.connect(prev, node)
        prev = node
    g.add_output(prev)
    return g


def per_node_cost(n: int, tries: int) -> tuple[float, float]:
    g = chain(n)
    val, comp = [], []
    for _ in range(tries):
        gc.collect()
        t0 = time.process_time()
        errors = g.validate()
        t1 = time.process_time()
        g.compile(check=False)
        t2 = time.process_time()
        assert not [e for e in errors if e.severity == "error"]
        val.append(t1 - t0)
        comp.append(t2 - t1)
    return min(val) / n, min(comp) / n


def test_validate_and_compile_scale_linearly_to_5000_nodes():
    per_node_cost(50, 1)  # warm-up: lazy imports, first-call caches
    v_small, c_small = per_node_cost(500, 3)
    v_big, c_big = per_node_cost(5000, 2)
    assert v_big / v_small < 3.0, (v_small, v_big)
    assert c_big / c_small < 3.0, (c_small, c_big)
