"""Writes the ready-made documents in demos/: each opens in JupyterLab with a double-click
and trains from its own training section (data from registered generators, so no data
file is needed). Run from anywhere: ``python tools/make_demo_documents.py``."""

from __future__ import annotations

import pathlib

from make_dataflow_matrix_demo import document as dataflow_matrix_document

import diffwire as dw

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"


def gen(name: str, key: str | None = None, batch: bool = True, **kwargs) -> dict:
    b = {"source": "generator", "name": name, "kwargs": kwargs}
    if key:
        b["key"] = key
    if not batch:
        b["batch"] = False
    return b


def quickstart() -> dw.Graph:
    """y = sin(x) on [-3, 3]: Input -> MLP -> Output."""
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    f = g.add("MLP", widths=[1, 32, 32, 1], activation="tanh", label="f")
    g.connect(x, f)
    g.add_output(f, name="y")
    dw.training_config(g, data={"x": gen("sine", n=256, noise=0.05),
                                "y": gen("sine", n=256, noise=0.05)},
                       loss="mse", optimizer=("adam", {"lr": 1e-2}), steps=1500, batch_size=64)
    return g


def lotka_volterra() -> dw.Graph:
    """The UDE: known terms alpha*x, -delta*y plus a network U; Adam, then LBFGS."""
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    lv = {"n": 31, "t_end": 3.0}
    dw.training_config(g, data={"t": gen("lotka_volterra", batch=False, **lv),
                                "y0": gen("lotka_volterra", batch=False, **lv),
                                "y": gen("lotka_volterra", batch=False, **lv)},
                       loss="mse",
                       schedule=[{"optimizer": ("adam", {"lr": 0.1}), "steps": 200},
                                 {"optimizer": ("lbfgs", {"lr": 1.0}), "steps": 100}])
    return g


def with_ablatable_terms(terms: list[tuple[str, str, dict]], top: float) -> dw.Graph:
    """The LV UDE with its known part replaced by one ablatable Expression per term (id,
    formula, constants), stacked from y = `top` beside the network U, all summed into dy."""
    g = lotka_volterra()
    field = g.node("solve").body["field"]
    for nid in ("known", "combine"):
        field.remove(nid)
    total = field.add("Sum", id="combine", n=len(terms) + 1, label="combine",
                      position=[520.0, 0.0])
    for i, (nid, text, consts) in enumerate(terms):
        t = field.add("Expression", id=nid, label=nid.replace("_", " "), expr=text,
                      inputs=["y"], constants=consts, ablatable=True,
                      position=[260.0, top + 130.0 * i])
        field.connect("y", t, target_port="y")
        field.connect(t, total, target_port=f"x{i}")
    field.node("U").position = [260.0, 130.0]
    field.connect("U", total, target_port=f"x{len(terms)}")
    field.connect(total, "dy")
    return g


def lotka_volterra_ablation() -> dw.Graph:
    """The UDE with its known terms as two ablatable blocks (prey growth alpha*x, predator
    death -delta*y) beside the network U: the Ablation panel varies them."""
    return with_ablatable_terms([("prey_growth", "alpha*y[0], 0*y[1]", {"alpha": 1.3}),
                                 ("predator_death", "0*y[0], -delta*y[1]", {"delta": 1.8})],
                                top=-130.0)


def lotka_volterra_four_terms() -> dw.Graph:
    """Every term of Lotka-Volterra as its own ablatable block beside the network U (prey
    growth, predation, predator growth, predator death): the full structure ablation,
    16 subsets of known terms plus the controls (demo 04)."""
    return with_ablatable_terms([("prey_growth", "alpha*y[0], 0*y[1]", {"alpha": 1.3}),
                                 ("predation", "-beta*y[0]*y[1], 0*y[1]", {"beta": 0.9}),
                                 ("predator_growth", "0*y[0], gamma*y[0]*y[1]", {"gamma": 0.8}),
                                 ("predator_death", "0*y[0], -delta*y[1]", {"delta": 1.8})],
                                top=-390.0)


def spiral() -> dw.Graph:
    """torchdiffeq's spiral as a pure neural ODE (an MLP field)."""
    g = dw.ode.neural_ode(2, hidden=(50,), activation="tanh", method="builtin_rk4",
                          step_size=0.05)
    sp = {"n": 200, "t_end": 10.0}
    dw.training_config(g, data={"t": gen("spiral", batch=False, **sp),
                                "y0": gen("spiral", batch=False, **sp),
                                "y": gen("spiral", batch=False, **sp)},
                       loss="mse", optimizer=("adam", {"lr": 1e-2}), steps=600)
    return g


def loop_conditional() -> dw.Graph:
    """A network with control flow: a Loop refines a hidden state three times with one
    shared cell; a per-sample Conditional sends x > 0 and x <= 0 through different heads."""
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    lift = g.add("Linear", in_features=1, out_features=8, label="lift")
    g.connect(x, lift)
    loop = g.add("Loop", state=["h"], mode="count", iterations=3, label="refine")
    g.connect(lift, (loop, "h"))
    body = loop.body["body"]
    for nid in [n for n in body.nodes if n not in ("h",)]:
        body.remove(nid)
    cell = body.add("Linear", id="cell", in_features=8, out_features=8)
    act = body.add("Activation", fn="tanh")
    body.connect("h", cell)
    body.connect(cell, act)
    body.add_output(act, name="h")
    first = g.add("Index", dim=-1, index=0, label="x[:, 0]")
    g.connect(x, first)
    pos = g.add("Compare", op=">", value=0.0, label="x > 0")
    g.connect(first, (pos, "a"))
    cond = g.add("Conditional", mode="where", label="which side")
    g.connect(pos, (cond, "cond"))
    g.connect((loop, "h"), (cond, "x"))
    for name, fn in (("then", "tanh"), ("else", "sin")):
        b = cond.body[name]
        b.remove("y")
        head = b.add("Linear", id="head", in_features=8, out_features=1)
        a = b.add("Activation", fn=fn)
        b.connect("x", head)
        b.connect(head, a)
        b.add_output(a, name="y")
    g.add_output(cond, name="y")
    dw.training_config(g, data={"x": gen("sine", n=256, noise=0.05),
                                "y": gen("sine", n=256, noise=0.05)},
                       loss="mse", optimizer=("adam", {"lr": 1e-2}), steps=800, batch_size=64)
    return g


def dataflow_matrix() -> dw.Graph:
    """A self-modifying dataflow matrix machine recalling the bit seen 3 steps ago, its
    links pruned below 0.15 as it trains (the graph of demos/10_dataflow_matrix.ipynb)."""
    return dataflow_matrix_document()


def hamiltonian_nn() -> dw.Graph:
    """A Hamiltonian neural network on the ideal mass-spring (Greydanus et al. 2019): an MLP
    learns H(q, p), the Gradient block differentiates it, and the field is (dH/dp, -dH/dq).
    Trained as in the paper: Adam 1e-3, weight decay 1e-4, 2000 full-batch steps on 750
    noisy states (demo 07 compares it with a plain MLP)."""
    g = dw.ode.hamiltonian_nn()
    spring = {"samples": 50, "noise": 0.1}
    dw.training_config(g, data={"x": gen("ideal_spring", **spring),
                                "dx": gen("ideal_spring", **spring)},
                       loss="mse", optimizer=("adam", {"lr": 1e-3, "weight_decay": 1e-4}),
                       steps=2000, batch_size=750)
    return g


def boolean_adder() -> dw.Graph:
    """A 2-bit adder learned by reverse derivative ascent: four LUT gates wired as a ripple
    adder (sum0 and a hidden carry from a0, b0; sum1 and carry1 from a1, b1 and that carry)
    learned their truth tables from the 16 examples; the canvas shows the tables."""
    g = dw.logic.adder2_circuit()
    dw.training_config(g, data={k: gen("adder2", key=k) for k in dw.logic.adder2()},
                       loss="hamming", optimizer="rda", steps=100,
                       batch_size=4, seed=0)
    g.node("optim").position = [820.0, 640.0]
    run = dw.train(g, out=False, background=False, progress=False)
    dw.logic.write_tables(g, run.model)  # the learned tables, shown on the canvas
    return g


def trajectory_data(problem: str, **kwargs) -> dict:
    """t, y0 and the observed y of a simulated problem, each passed whole every step."""
    return {k: gen(problem, batch=False, **kwargs) for k in ("t", "y0", "y")}


def sir_ablation() -> dw.Graph:
    """An SIR epidemic (fractions S, I, R) as a UDE: the recovery term gamma*I is known
    and ablatable, a network U learns the unknown infection term beta*S*I. Adam, then LBFGS."""
    g = dw.ode.sir_ude(method="builtin_rk4", step_size=0.25)
    dw.training_config(g, data=trajectory_data("sir"), loss="mse",
                       schedule=[{"optimizer": ("adam", {"lr": 0.01}), "steps": 300},
                                 {"optimizer": ("lbfgs", {"lr": 1.0}), "steps": 50}])
    return g


def pendulum_ablation() -> dw.Graph:
    """A damped pendulum (angle, angular velocity) as a UDE: the kinematic term, gravity
    and damping as three ablatable blocks beside a network U. Adam, then LBFGS."""
    g = dw.ode.pendulum_ude(method="builtin_rk4", step_size=0.1)
    dw.training_config(g, data=trajectory_data("damped_pendulum"), loss="mse",
                       schedule=[{"optimizer": ("adam", {"lr": 0.01}), "steps": 300},
                                 {"optimizer": ("lbfgs", {"lr": 1.0}), "steps": 50}])
    return g


DOCUMENTS = {
    "quickstart.diffwire": quickstart,
    "lotka_volterra_ude.diffwire": lotka_volterra,
    "lotka_volterra_ablation.diffwire": lotka_volterra_ablation,
    "lotka_volterra_four_terms.diffwire": lotka_volterra_four_terms,
    "spiral_neural_ode.diffwire": spiral,
    "loop_conditional.diffwire": loop_conditional,
    "dataflow_matrix.diffwire": dataflow_matrix,
    "hamiltonian_nn.diffwire": hamiltonian_nn,
    "boolean_adder.diffwire": boolean_adder,
    "sir_ude_ablation.diffwire": sir_ablation,
    "pendulum_ude_ablation.diffwire": pendulum_ablation,
}


def main(folder: pathlib.Path = DEMOS) -> list[pathlib.Path]:
    out = []
    for name, build in DOCUMENTS.items():
        g = build()
        g.meta["description"] = (build.__doc__ or "").strip()
        out.append(g.save(folder / name))
    return out


if __name__ == "__main__":
    for p in main():
        print("wrote", p)
