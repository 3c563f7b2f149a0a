"""Writes demos/08_learned_optimizer.ipynb; run from the repository root."""
import pathlib

import nbformat as nbf
from notebook_cells import nb

cells = [
"""md:# A learned optimizer, as a graph

Andrychowicz et al., *Learning to learn by gradient descent by gradient descent* (2016): an
optimizer can itself be a network, applied to every coordinate of the parameters on its own and
trained by unrolling the optimization it performs. Their first experiment is a family of random
quadratics, f(θ) = ‖Wθ − y‖² with W (10×10) and y drawn IID Gaussian: meta-train on functions of
the family, test on new ones.

Here the optimizer is a diffwire graph: an `MLP` block maps per-coordinate features of the
gradient (log-magnitude and sign of the gradient and of its running mean, and Adam's normalised
gradient and momentum) to a step direction and a log step-size multiplier. It starts as Adam
(lr 0.1) and is meta-trained by truncated back-propagation through 100-step unrolls. The outer
optimizer that trains it is an update chain written on an `Optimizer` node. On held-out tasks we
compare it with Adam at its best learning rate, tuned on the training tasks.

`DIFFWIRE_FAST=1` (set by the tests) meta-trains a few iterations only; the default runs 150
(about two minutes on one core).""",
"""
import math
import os
import time

import plotly.graph_objects as go
import torch

import diffwire as dw
from diffwire.runtime.updates import ChainOptimizer
from diffwire.train import optim

FAST = os.environ.get("DIFFWIRE_FAST") == "1"
META_ITERS = 4 if FAST else 150  # meta-training iterations, each a 100-step unroll
TASKS = 32  # quadratics per meta-iteration
HORIZON, UNROLL = 100, 20  # steps per task; back-propagation is truncated every UNROLL steps
HELD_OUT = 100  # new quadratics for the comparison
DIM = 10
torch.set_num_threads(1)  # small tensors: one thread is fastest (TOOLCHAIN.md)
""",
"""md:## The task family: random quadratics, solved for many tasks at once

Every task has its own θ; a batch of tasks is a batch of rows, so one optimizer step updates all
of them (every update here is coordinate-wise, so the tasks do not mix).""",
"""
def quadratics(n, seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, DIM, DIM, generator=gen), torch.randn(n, DIM, generator=gen)


def f(task, theta):
    \"\"\"‖Wθ − y‖² of each task.\"\"\"
    W, y = task
    return ((torch.einsum("nij,nj->ni", W, theta) - y) ** 2).sum(-1)
""",
"""md:## The optimizer as a graph

Input `features` (6 per coordinate) → `MLP` 6-32-32-2 (tanh) → output `step`. The two outputs are
a small free direction `d` and a log multiplier `s` of Adam's step:

update = −0.1 · exp(s) · m̂ / (√v̂ + ε) + 0.01 · d

The last layer starts near zero, so before meta-training this is Adam with lr 0.1, and what
meta-training learns is how to depart from it, per coordinate and per step.""",
"""
g = dw.Graph()
x = g.add("Input", id="features", name="features", shape=[None, 6])
net_node = g.add("MLP", id="net", widths=[6, 32, 32, 2], activation="tanh")
g.connect(x, net_node)
g.add_output(net_node, name="step")
meta_node = g.add("Optimizer", id="meta", kind="chain", lr=3e-3, stages=\"\"\"
clip_by_global_norm 1.0
scale_by_adam b1=0.9 b2=0.999
scale_by_learning_rate
\"\"\")
net = g.compile(seed=0)
last = [m for m in net.modules() if isinstance(m, torch.nn.Linear)][-1]
with torch.no_grad():  # start as Adam: the network's own correction begins near zero
    last.weight.mul_(0.01)
    last.bias.zero_()
for nid, node in g.nodes.items():
    print(f"{nid:9s} {node.type:9s}", node.params.get("widths", node.params.get("kind", "")))
print("meta-optimizer chain:", " ".join(meta_node.block.formula(meta_node, "meta", {})))
""",
"""md:## Per-coordinate features and the unrolled optimization

Gradients are preprocessed as in the paper's appendix (log |g| / p and sign, p = 10, with the
linear branch for tiny values), so one network serves coordinates of very different scales.""",
"""
P = 10.0


def preprocess(v):
    big = v.abs() >= math.exp(-P)
    log = torch.where(big, v.abs().clamp_min(1e-30).log() / P, -1.0)
    sign = torch.where(big, v.sign(), math.exp(P) * v)
    return torch.stack([log, sign], -1)


def features(grad, m_hat, v_hat):
    rms = v_hat.sqrt() + 1e-8
    return torch.cat([preprocess(grad), preprocess(m_hat),
                      (grad / rms)[..., None], (m_hat / rms)[..., None]], -1)


def start(task):
    theta = torch.zeros(task[0].shape[0], DIM, requires_grad=True)
    zeros = torch.zeros_like(theta)
    return theta, (zeros, zeros, 0, f(task, theta).detach())


def unroll(task, theta, state, steps, train):
    \"\"\"`steps` learned-optimizer steps; returns θ, the state, the meta-loss (mean log of
    f relative to its start) and f after every step.\"\"\"
    m, v, t, f0 = state
    meta_loss, curve = 0.0, []
    for _ in range(steps):
        (grad,) = torch.autograd.grad(f(task, theta).sum(), theta, create_graph=train)
        grad = grad if train else grad.detach()
        t += 1
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        out = net(features(grad, m_hat, v_hat).reshape(-1, 6)).reshape(*theta.shape, 2)
        theta = theta - 0.1 * out[..., 1].exp() * m_hat / (v_hat.sqrt() + 1e-8) + 0.01 * out[..., 0]
        value = f(task, theta)
        curve.append(value.detach())
        meta_loss = meta_loss + (value / f0 + 1e-6).log().mean() / steps
    return theta, (m, v, t, f0), meta_loss, curve
""",
"""md:## Meta-training: truncated back-propagation through the unrolled steps

The outer optimizer is the `meta` node's chain (clip, Adam moments, learning rate): a
`ChainOptimizer` over the graph's weights, the same class a `dw.train` run with that node uses.""",
"""
meta = optim.make_optimizer(optim.normalize(dict(meta_node.params)), list(net.parameters()))
t0, log = time.perf_counter(), []
for it in range(META_ITERS):
    task = quadratics(TASKS, 1000 + it)
    theta, state = start(task)
    for _ in range(HORIZON // UNROLL):
        theta, state, loss, _ = unroll(task, theta, state, UNROLL, train=True)
        meta.zero_grad()
        loss.backward()
        meta.step()
        theta = theta.detach().requires_grad_(True)
        state = tuple(s.detach() if torch.is_tensor(s) else s for s in state)
    log.append(loss.item())
    if (it + 1) % 25 == 0 or it == META_ITERS - 1:  # tasks differ each time: a running mean
        recent = log[-25:]
        print(f"meta-iteration {it + 1:3d}  meta-loss of the last segment, mean of the last "
              f"{len(recent)}: {sum(recent) / len(recent):7.3f}  {time.perf_counter() - t0:5.1f} s")
""",
"""md:## Adam at its best learning rate

Adam is a chain too (`scale_by_adam`, `scale_by_learning_rate`); its learning rate is chosen on
training tasks (never the held-out ones) by the median loss after 100 steps.""",
"""
def run_adam(task, lr):
    theta = torch.zeros(task[0].shape[0], DIM, requires_grad=True)
    opt = ChainOptimizer([theta], lr=lr, stages="scale_by_adam\\nscale_by_learning_rate")
    curve = []
    for _ in range(HORIZON):
        opt.zero_grad()
        f(task, theta).sum().backward()
        opt.step()
        curve.append(f(task, theta).detach())
    return torch.stack(curve)


def run_learned(task):
    theta, state = start(task)
    return torch.stack(unroll(task, theta, state, HORIZON, train=False)[3])


tuning = quadratics(HELD_OUT, 1)
grid = [0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 1.0]
scores = {lr: run_adam(tuning, lr)[-1].median().item() for lr in grid}
best_lr = min(scores, key=scores.get)
print("Adam median final loss by lr (training tasks):",
      {lr: round(s, 4) for lr, s in scores.items()}, "-> lr", best_lr)
""",
"""md:## Held-out tasks: loss against step""",
"""
held_out = quadratics(HELD_OUT, 7)
curves = {f"Adam (lr {best_lr})": run_adam(held_out, best_lr),
          "Adam (lr 0.1, the learned one's start)": run_adam(held_out, 0.1),
          "learned (MLP graph)": run_learned(held_out)}
fig = go.Figure()
steps = list(range(1, HORIZON + 1))
for name, c in curves.items():
    fig.add_scatter(x=steps, y=c.median(1).values.tolist(), mode="lines", name=name)
fig.update_layout(title=f"median loss over {HELD_OUT} held-out quadratics", xaxis_title="step",
                  yaxis_title="‖Wθ − y‖²", yaxis_type="log")
fig.show()
""",
"""
learned, adam = curves["learned (MLP graph)"], curves[f"Adam (lr {best_lr})"]
rows = [(name, c[-1].median().item(), c[-1].mean().item(), c[HORIZON // 4 - 1].median().item())
        for name, c in curves.items()]
print(f"{'optimizer':40s} {'median f@100':>13s} {'mean f@100':>11s} {'median f@25':>12s}")
for name, med, mean, early in rows:
    print(f"{name:40s} {med:13.4f} {mean:11.4f} {early:12.4f}")
wins = (learned[-1] < adam[-1]).float().mean().item()
print(f"held-out tasks where the learned optimizer ends lower than tuned Adam: {wins:.0%}")
assert all(math.isfinite(r[1]) for r in rows)
print(f"LEARNED OPTIMIZER OK: {META_ITERS} meta-iterations; median final loss learned "
      f"{rows[2][1]:.4f} vs tuned Adam {rows[0][1]:.4f}")
""",
"""md:The learned optimizer is an ordinary document: `g.save("learned_optimizer.diffwire")` keeps
the graph and its meta-optimizer node, and its weights save like any model's
(`torch.save(net.state_dict(), ...)`).""",
]

DEMOS = pathlib.Path(__file__).resolve().parents[1] / "demos"
nbf.write(nb(cells), DEMOS / "08_learned_optimizer.ipynb")
