"""Writes demos/07_hamiltonian_nn.ipynb; run from the repository root."""
import pathlib

import nbformat as nbf
from notebook_cells import nb

cells = [
"""md:# A Hamiltonian neural network: derivatives inside the graph

Greydanus, Dzamba and Yosinski, *Hamiltonian Neural Networks* (2019), on their first task, the ideal
mass-spring with H = (q² + p²) / 2. Instead of predicting the time derivative (dq/dt, dp/dt)
directly, a network learns a scalar H(q, p) and the field is taken from its derivatives:
dq/dt = ∂H/∂p, dp/dt = -∂H/∂q. Such a field conserves the learned H exactly, so a long rollout keeps
its energy; a plain network of the same size, fit just as well, drifts.

In diffwire the derivative is a block: **Gradient** runs its body (here the MLP H) and returns ∂f/∂x,
keeping the graph of the derivative (`create_graph`), so the loss on the field trains H's weights.

The paper's setup: 50 trajectories of 30 points on t ∈ [0, 3] from random states at radius 0.1-1,
Gaussian noise of std 0.1 on the states, clean derivatives as targets, half of the trajectories held
out; MLPs with two hidden layers of 200 tanh units, Adam (lr 1e-3, weight decay 1e-4), 2000
full-batch steps. Measures: the test MSE of the predicted derivative, and the energy MSE along long
rollouts.

`DIFFWIRE_FAST=1` (set by the tests) trains 150 steps; the default trains the paper's 2000.""",
"""
import os

import plotly.graph_objects as go
import torch
from IPython.display import Markdown, display

import diffwire as dw
from diffwire.runtime.data import ideal_spring

FAST = os.environ.get("DIFFWIRE_FAST") == "1"
STEPS = 150 if FAST else 2000
OPTIMIZER = ("adam", {"lr": 1e-3, "weight_decay": 1e-4})

data = ideal_spring(samples=50, n=30, t_end=3.0, noise=0.1, seed=0)
print({k: list(v.shape) for k, v in data.items()})
""",
"""md:## The two graphs

The HNN is the ready-made document `hamiltonian_nn.diffwire` (open it in JupyterLab: the Gradient
node's body holds the MLP `H`): Input x = (q, p) -> **Gradient** (body: MLP 2-200-200-1 -> Output f)
-> Expression `g[1], -g[0]` -> Output dx. The baseline is Input x -> MLP 2-200-200-2 -> Output dx.""",
"""
hnn = dw.load("hamiltonian_nn.diffwire")
baseline = dw.ode.derivative_mlp(hidden=200)
for name, g in [("HNN", hnn), ("baseline", baseline)]:
    n = sum(p.numel() for p in g.compile(seed=0).parameters())
    print(f"{name:9s} {n} weights; shapes {g.infer_shapes()}")
print("Gradient body:", {nid: node.type for nid, node in hnn.node("dH").body["body"].nodes.items()})
""",
"""md:## Train both with `dw.train`, same data, optimizer and seed

The HNN's run warns that H's last bias gets no gradient: a constant added to H changes none of its
derivatives, so the field cannot see it (the canvas outlines the node for the same reason).""",
"""
runs = {}
for name, g in [("baseline", baseline), ("HNN", hnn)]:
    runs[name] = dw.train(g, data={"x": data["x"], "dx": data["dx"]}, loss="mse",
                          optimizer=OPTIMIZER, steps=STEPS, batch_size=len(data["x"]), seed=0,
                          background=False, progress=False)
    print(name, runs[name])
""",
"""md:## The paper's measures

Test MSE of the derivative on the 25 held-out trajectories, and the energy MSE: each model's field
integrated (dopri5, tolerance 1e-9) from the true initial states of the 25 held-out trajectories over
t ∈ [0, 20], 1000 points, about three periods; the MSE between the true energy H = (q² + p²) / 2 of
the rolled-out states and the trajectory's true (constant) energy, over all times and starts.""",
"""
t_long = torch.linspace(0, 20, 1000)
rows, energies = {}, {}
for name, run in runs.items():
    model = run.model.eval()
    with torch.no_grad():
        train_mse = torch.nn.functional.mse_loss(model(x=data["x"]), data["dx"]).item()
        test_mse = torch.nn.functional.mse_loss(model(x=data["test_x"]), data["test_dx"]).item()
    energy_mse, energies[name] = dw.ode.energy_mse(model, data["test_y0"], t_long)
    rows[name] = (train_mse, test_mse, energy_mse)

paper = {"baseline": (37e-3, 37e-3, 170e-3), "HNN": (37e-3, 36e-3, 0.38e-3)}
table = ["| model | train MSE | test MSE | energy MSE | paper: test MSE | paper: energy MSE |",
         "|---|---|---|---|---|---|"]
for name, (tr, te, en) in rows.items():
    table.append(f"| {name} | {tr:.2e} | {te:.2e} | {en:.2e} | {paper[name][1]:.2e} | {paper[name][2]:.2e} |")
display(Markdown("\\n".join(table)))
ratio = rows["baseline"][2] / rows["HNN"][2]
print(f"energy MSE, baseline / HNN: {ratio:.0f}x (paper: {170e-3 / 0.38e-3:.0f}x)")
""",
"""md:The paper's spring code uses H = q² + p² (twice this H, so twice the frequency and four times
the derivatives' size), which is why its MSEs are larger; the comparison that carries over is the
gap between the two models: equal derivative errors, energy errors orders of magnitude apart.""",
"""
fig = go.Figure()
k = 0  # the first held-out trajectory
fig.add_scatter(x=t_long, y=torch.full_like(t_long, float(dw.ode.spring_energy(data["test_y0"][k]))),
                mode="lines", name="ground truth", line={"dash": "dash", "color": "black"})
for name, e in energies.items():
    fig.add_scatter(x=t_long, y=e[:, k], mode="lines", name=name)
fig.update_layout(title="total energy H = (q² + p²) / 2 along a rollout from a held-out start",
                  xaxis_title="t", yaxis_title="energy")
fig.show()

fig = go.Figure()
for name, run in runs.items():
    ys = dw.ode.rollout(run.model, data["test_y0"][k:k + 1], t_long)[:, 0]
    fig.add_scatter(x=ys[:, 0], y=ys[:, 1], mode="lines", name=name)
fig.update_layout(title="phase space (q, p) of the same rollout", xaxis_title="q",
                  yaxis_title="p", width=520, height=500)
fig.show()
""",
"""md:## Export: the derivative goes with it

The exported file is plain PyTorch: the Gradient node becomes a call of `torch.autograd.grad` with
`create_graph` (the same function the library runs, embedded). Its field matches the trained graph.""",
"""
import importlib.util
import pathlib

path = pathlib.Path("hnn_exported.py")
path.write_text(dw.export(hnn))
spec = importlib.util.spec_from_file_location("hnn_exported", path)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
exported = mod.Model()
exported.load_state_dict(runs["HNN"].model.state_dict())
diff = (exported(data["test_x"]) - runs["HNN"].model(x=data["test_x"])).abs().max().item()
print(f"exported HNN vs trained graph: max difference {diff:.1e}")
assert diff < 1e-5
""",
"""
if not FAST:  # the paper's claim, at the paper's budget
    assert ratio > 10, ratio
print(f"HNN OK: energy MSE {rows['HNN'][2]:.2e} vs baseline {rows['baseline'][2]:.2e} ({ratio:.0f}x), "
      f"test MSE {rows['HNN'][1]:.2e} vs {rows['baseline'][1]:.2e}, {STEPS} steps")
""",
]

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"
nbf.write(nb(cells), DEMOS / "07_hamiltonian_nn.ipynb")
