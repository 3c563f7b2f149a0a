"""Writes demos/10_dataflow_matrix.ipynb (a self-modifying dataflow matrix machine on a
delayed-copy task, trained with sparsification); run from the repository root.
make_demo_documents.py writes demos/dataflow_matrix.diffwire with `document()`: the same
graph, built by the notebook's own code."""
import pathlib

import nbformat as nbf
from notebook_cells import nb

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"

GRAPH = '''
from diffwire.blocks.dataflow_matrix import self_update

N, D, T, DELAY = 6, 1, 12, 3  # streams, input features, steps, how far back to recall
M = N + D + 1                 # the matrix's columns: the streams, the input, a constant 1


def build(prune_below=0.0, prune_every=40):
    """x [B, T, 1] -> DataflowMatrix (its start matrix a Parameter, its update body an MLP
    that reads the streams and rewrites the matrix each step) -> Linear -> logits y."""
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, T, D], position=[0, 0])
    links = g.add("Parameter", id="links", shape=[N, M], init="normal", scale=0.3,
                  label="start matrix", position=[0, 160])
    dmm = g.add("DataflowMatrix", id="dmm", label="self-modifying DMM",
                streams=["identity"] * 3 + ["tanh"] * 2 + ["accumulator"], inputs=D,
                matrix="port", prune_below=prune_below, prune_every=prune_every,
                position=[300, 40])
    g.connect(x, (dmm, "x"))
    g.connect(links, (dmm, "W"))
    self_update(dmm, scale=0.05)  # the Self neuron: W <- W + 0.05 tanh(MLP(y))
    read = g.add("Linear", id="read", in_features=N, out_features=1, label="readout",
                 position=[700, 40])
    g.connect((dmm, "y"), read)
    g.add_output(read, name="y").position = [950, 40]
    return g
'''




cells = [
"""md:# A self-modifying dataflow matrix machine, pruned while it learns

A *dataflow matrix machine* (Bukatin, Matthews and Radul 2016) is a set of streams (neurons with
built-in transforms: identity, tanh, an accumulator...) linked by a network matrix `W`: row `i`
holds the links into stream `i` from every stream, the input and a constant. The matrix is itself
a value the machine carries: a self-referential neuron writes the next `W` each step, so the
network rewrites its own connectivity while it runs.

In diffwire the `DataflowMatrix` block runs such a machine over a sequence. Its starting matrix
comes in through the `W` port (here a `Parameter`), and its `update` body is the self neuron
(here an MLP reading the streams). Training with **sparsification** (`prune_below`) removes links
whose magnitude falls below a threshold every few steps; their weights and Adam moments are zeroed
and stay zero, and the run logs the remaining links as `dmm/links`.

The task: **delayed copy**, output the bit seen 3 steps ago. We train one network per threshold
and plot accuracy against the links that remain. `DIFFWIRE_FAST=1` (set by the tests) trains a
few steps for two thresholds; the default runs the full sweep in a couple of minutes.""",
"""
import os

import plotly.graph_objects as go
import torch

import diffwire as dw

FAST = os.environ.get("DIFFWIRE_FAST") == "1"
STEPS = 30 if FAST else 400
THRESHOLDS = [0.0, 0.3] if FAST else [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]
torch.manual_seed(0)
""",
"""md:## The graph""",
GRAPH + """
g = build()
print(g.infer_shapes()["dmm"])
print("update body:", [f"{n.id}:{n.type}" for n in g.node("dmm").body["update"].nodes.values()])
""",
"""md:## The network rewrites its matrix during a forward pass

The `W` output is the matrix after the last step; it differs from the start, and from one
sequence to the next, because the update body reads each sequence's own streams.""",
"""
data = dw.runtime.data.delayed_copy(n=512, steps=T, delay=DELAY, seed=0)
test = dw.runtime.data.delayed_copy(n=512, steps=T, delay=DELAY, seed=1)
probe = build()
probe.add_output(("dmm", "W"), name="W_last")
model = probe.compile(seed=0)
with torch.no_grad():
    out = model(x=test["x"][:4])
start = model.blocks["links"].value
change = (out["W_last"] - start).abs().mean(dim=(1, 2))
print("mean |W_T - W_0| per sequence:", [round(v, 4) for v in change.tolist()])
""",
"""md:## Train with sparsification, one network per threshold

Each run prunes every `STEPS // 10` steps; accuracy is measured on held-out sequences, on the
steps where there is something to recall (t >= 3).""",
"""
def accuracy(model):
    with torch.no_grad():
        logits = model(x=test["x"])
    right = (logits > 0).float() == test["y"]
    return right[:, DELAY:].float().mean().item()


rows, curves = [], {}
for thr in THRESHOLDS:
    g = build(prune_below=thr, prune_every=max(1, STEPS // 10))
    run = dw.train(g, data=data, loss="bce", optimizer=("adam", {"lr": 2e-2}), steps=STEPS,
                   batch_size=128, seed=0, background=False, progress=False, out=False)
    links = run.history[-1]["dmm/links"]
    curves[thr] = [r["dmm/links"] for r in run.history]
    rows.append({"threshold": thr, "links": links, "accuracy": accuracy(run.model),
                 "loss": run.history[-1]["loss"]})
    print(f"prune below {thr:<5} links {links:2d}/{N * M}  accuracy {rows[-1]['accuracy']:.3f}"
          f"  loss {rows[-1]['loss']:.4f}")
""",
"""
fig = go.Figure(go.Scatter(x=[r["links"] for r in rows], y=[r["accuracy"] for r in rows],
                           mode="lines+markers+text", text=[f"{r['threshold']}" for r in rows],
                           textposition="top center", name="accuracy"))
fig.update_layout(title="Delayed copy (3 steps): accuracy against remaining links",
                  xaxis_title="links remaining in W (of %d)" % (N * M),
                  yaxis_title="held-out accuracy", yaxis_range=[0.4, 1.05], height=380)
fig.show()
""",
"""
fig = go.Figure([go.Scatter(y=c, mode="lines", name=f"prune below {t}") for t, c in curves.items()])
fig.update_layout(title="Remaining links during training (the run's dmm/links metric)",
                  xaxis_title="step", yaxis_title="links", height=340)
fig.show()
""",
"""
dense = rows[0]
good = [r for r in rows if r["accuracy"] >= 0.99]
sparsest = min(good, key=lambda r: r["links"]) if good else None
print(f"dense: {dense['links']} links, accuracy {dense['accuracy']:.3f}")
if sparsest is not None:
    print(f"sparsest at >= 99% accuracy: {sparsest['links']} links "
          f"(prune below {sparsest['threshold']}), accuracy {sparsest['accuracy']:.3f}")
""",
"""md:## Export, and the document

The graph exports to plain PyTorch like any other (the machine's class is embedded in the file,
pruned links travel in the `mask` buffer of the state dict). `dataflow_matrix.diffwire` beside this
notebook is the same graph with its training section (the `delayed_copy` generator, pruning below
0.15): open it and press Train to watch the node's link grid fade as links are pruned, and the
`dmm/links` curve beside the loss.""",
"""
src = dw.export(g)
ns = {"__name__": "dataflow_matrix_export"}
exec(compile(src, "dataflow_matrix_export.py", "exec"), ns)
exported = ns["Model"]()
exported.load_state_dict(run.model.state_dict())
with torch.no_grad():
    same = torch.allclose(exported(test["x"][:8]), run.model(x=test["x"][:8]), atol=1e-6)
print("exported model matches:", same)
doc = dw.load("dataflow_matrix.diffwire")
print(doc.node("dmm").params["prune_below"], doc.training["data"]["x"]["name"])
""",
]


def document():
    import diffwire as dw

    ns = {"dw": dw}
    exec(GRAPH, ns)  # the notebook's own build()
    g = ns["build"](prune_below=0.15, prune_every=40)
    b = {"source": "generator", "name": "delayed_copy", "kwargs": {"n": 512, "steps": 12, "delay": 3}}
    dw.training_config(g, data={"x": dict(b), "y": dict(b)}, loss="bce",
                       optimizer=("adam", {"lr": 2e-2}), steps=400, batch_size=128)
    return g


if __name__ == "__main__":
    nbf.write(nb(cells), DEMOS / "10_dataflow_matrix.ipynb")
    print("wrote demos/10_dataflow_matrix.ipynb")
