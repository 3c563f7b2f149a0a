"""Writes demos/09_boolean_circuits.ipynb (a 2-bit adder learned by reverse derivative
ascent); run from the repository root."""
import pathlib

import nbformat as nbf
from notebook_cells import nb

cells = [
"""md:# Boolean circuits learned by reverse derivative ascent

Wilson and Zanasi, *Reverse Derivative Ascent: a categorical approach to learning Boolean
circuits* (2020, arXiv 2101.10488), learn the parameters of a circuit over Z2 the way gradient
descent learns a network's weights, with the circuit's **reverse derivative** in place of the
gradient: for an example `(x, y)` the update is `p := p + R[f](p, x, y - f(p, x))`, all mod 2.
`R[f]` says, for each parameter bit, whether flipping it flips a wrong output bit.

In diffwire a `LUT` gate is a k-input lookup table whose 2**k output bits are its weights; `And`,
`Or`, `Xor` and `Not` are fixed gates; wires of kind `bool` carry `torch.bool` tensors. The `rda`
optimizer trains the tables against the `hamming` loss (the share of wrong bits). The paper updates
once per example; over a batch, a table bit flips when a strict majority of the samples that read it
ask for the flip (a batch of one is the paper's update).

`DIFFWIRE_FAST=1` (set by the tests) runs fewer seeds in the reliability section.""",
"""
import itertools
import os
import statistics

import plotly.graph_objects as go
import torch

import diffwire as dw

FAST = os.environ.get("DIFFWIRE_FAST") == "1"
SEEDS = range(3 if FAST else 20)  # the reliability section: random initial tables per seed
""",
"""md:## The task: a 2-bit adder's truth table

`a = a1 a0` and `b = b1 b0` are two 2-bit numbers; `s = a + b` has three bits `s2 s1 s0`.
The 16 rows are the whole data set (generator `adder2`).""",
"""
data = dw.logic.adder2()
print(" a1 a0  b1 b0 | s2 s1 s0")
for r in range(16):
    row = {k: int(v[r]) for k, v in data.items()}
    print(f"  {row['a1']}  {row['a0']}   {row['b1']}  {row['b0']} |  {row['s2']}  {row['s1']}  {row['s0']}")
""",
"""md:## The circuit: four LUT gates wired as a ripple adder

`sum0` and a hidden `carry0` read `(a0, b0)`; `sum1` and `carry1` read `(a1, b1, carry0)`. Only the
wiring is given: every table starts random, and nothing tells `carry0` what to compute; it is
learned through the reverse derivative of the gates after it.""",
"""
g = dw.logic.adder2_circuit()
dw.training_config(g, data={k: {"source": "generator", "name": "adder2", "key": k} for k in data},
                   loss="hamming", optimizer="rda", steps=100, batch_size=4, seed=0)
print("the Optimizer node:", g.node("optim").params["kind"])
for nid, node in g.nodes.items():
    if node.type == "LUT":
        ins = [e.source for e in sorted(g.edges_into(nid).values(), key=lambda e: e.target_port)]
        print(f"{nid:7s} LUT k={node.params['k']} reads {ins}")
""",
"""md:## Train: the document's Optimizer node is `rda`

`dw.train` reads the training section (data from the generator, `hamming` loss, the `rda`
Optimizer node, batches of 4, seed 0). The step records carry `accuracy` (share of rows with every
output bit right) and `bit_accuracy`, measured on the batch before each update.""",
"""
run = dw.train(g, out=False, background=False, progress=False)
hist = run.history


def last_flip(history):
    # the step after the last update that flipped a bit: from there the tables stay
    return max((h["step"] + 1 for h in history if h["flipped"]), default=0)


solved_at = last_flip(hist)


def adder_accuracy(model):
    x = {k: torch.as_tensor(data[k]) for k in ("a0", "a1", "b0", "b1")}
    with torch.no_grad():
        out = model(**x)
    right = torch.stack([out[f"s{i}"] == torch.as_tensor(data[f"s{i}"]) for i in range(3)]).all(0)
    return right.float().mean().item()


acc = adder_accuracy(run.model)
print(f"accuracy on all 16 rows: {acc:.3f} (no bit flipped after step {solved_at})")
assert acc == 1.0
fig = go.Figure()
fig.add_scatter(x=[h["step"] for h in hist], y=[h["accuracy"] for h in hist], name="accuracy (rows)")
fig.add_scatter(x=[h["step"] for h in hist], y=[h["bit_accuracy"] for h in hist], name="bit accuracy")
fig.update_layout(title="RDA on the 2-bit adder (batch accuracy before each update)",
                  xaxis_title="step", yaxis_title="accuracy", width=650, height=350)
fig.show()
""",
"""md:## The learned truth tables

`dw.logic.write_tables` copies the learned tables into the document (the canvas draws them as a
grid on each LUT node). Input `i` is bit `i` of the row.""",
"""
tables = dw.logic.write_tables(g, run.model)
NAMES = {(0, 1, 1, 0): "XOR", (0, 0, 0, 1): "AND", (1, 1, 1, 0): "NAND", (1, 0, 0, 1): "XNOR",
         (0, 1, 1, 0, 1, 0, 0, 1): "XOR of three", (0, 0, 0, 1, 0, 1, 1, 1): "majority of three"}
for nid, table in tables.items():
    print(f"{nid}: {table}  = {NAMES.get(tuple(table), 'another function')}")
    for inputs, out in dw.logic.truth_rows(table):
        print("   ", " ".join(map(str, inputs)), "->", out)
""",
"""md:On the canvas: the editor draws each LUT's `table` param as a grid in the node's body.""",
"""
dw.Editor(g)
""",
"""md:## Export: the learned circuit as plain PyTorch

The exported module uses only torch bool ops (`logical_*`, indexing a table) and loads the
compiled state dict; it must match the circuit, and add, on every input.""",
"""
src = dw.export(g)
print("\\n".join(line for line in src.splitlines() if "_row" in line or "table[" in line))
namespace = {}
exec(compile(src, "adder_export.py", "exec"), namespace)
exported = namespace["Model"]()
exported.load_state_dict(run.model.state_dict())
rows = torch.tensor(list(itertools.product([False, True], repeat=4)))
x = dict(zip(["a0", "a1", "b0", "b1"], rows.T))
with torch.no_grad():
    want, got = run.model(**x), exported(**x)
assert all(torch.equal(want[k], got[k]) for k in want)
sums = sum(got[f"s{i}"].long() << i for i in range(3))
a = x["a0"].long() + 2 * x["a1"].long()
b = x["b0"].long() + 2 * x["b1"].long()
assert torch.equal(sums, a + b)
print("exported circuit matches the compiled circuit and adds on all 16 inputs")
""",
"""md:## How reliable is it? Seeds, and the paper's one-example update

Each seed draws other random initial tables (and another order of batches). We train with the
paper's update (a batch of one example) and with batches of 4 (majority vote), up to 400 steps, and
count the seeds that reach 100% on all 16 rows and the steps they took (the step after the last
update that flipped a bit; a run stops once 32 steps in a row flipped nothing).""",
"""
class Settled(dw.Callback):
    # stops a run once 32 steps in a row flipped no bit: its tables have settled

    def __init__(self):
        self.quiet = 0

    def on_step_end(self, run, record):
        self.quiet = 0 if record["flipped"] else self.quiet + 1
        if self.quiet == 32:
            run.stop(wait=False)


def steps_to_solve(batch_size, seed, limit=400):
    c = dw.logic.adder2_circuit()
    r = dw.train(c, data=data, loss="hamming", optimizer="rda", steps=limit, batch_size=batch_size,
                 seed=seed, out=False, background=False, progress=False, callbacks=[Settled()])
    return last_flip(r.history) if adder_accuracy(r.model) == 1.0 else None


rows = []
for bs in (1, 4):
    steps = [steps_to_solve(bs, s) for s in SEEDS]
    done = [s for s in steps if s is not None]
    rows.append((bs, len(done), len(steps), statistics.median(done) if done else None))
    print(f"batch {bs}: solved {len(done)}/{len(steps)} seeds, median steps to solve {rows[-1][3]}")
""",
"""md:## Parity of 4 bits, a tree of three 2-input LUTs

The same optimizer on another circuit: `left = L(x0, x1)`, `right = L(x2, x3)`, `y = L(left, right)`.""",
"""
p = dw.logic.parity4_circuit()
r = dw.train(p, data=dw.logic.parity4(), loss="hamming", optimizer="rda", steps=200, batch_size=8,
             seed=0, out=False, background=False, progress=False)
print({nid: NAMES.get(tuple(t), t) for nid, t in dw.logic.write_tables(p, r.model).items()})
print("parity accuracy:", r.history[-1]["accuracy"])
assert r.history[-1]["accuracy"] == 1.0
print("BOOLEAN OK")
""",
]

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"
nbf.write(nb(cells), DEMOS / "09_boolean_circuits.ipynb")
