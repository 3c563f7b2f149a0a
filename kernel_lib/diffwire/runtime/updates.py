"""Optimizers as chains of update stages, as optax composes them, in plain torch.

An update stage takes the updates so far (the gradient, for the first stage), the
parameters and its own state, and returns new updates; a chain runs its stages in order
and the last updates are *added* to the parameters (optax's ``apply_updates``), so the
descent's minus sign lives in ``scale_by_learning_rate``, exactly as in optax.

A chain is written as text, one stage per line: a name, then numbers in the stage's
order or ``key=value`` pairs, e.g.::

    clip_by_global_norm 1.0
    scale_by_adam b1=0.9 b2=0.999 eps=1e-8
    add_decayed_weights 0.01
    scale_by_learning_rate schedule=warmup_cosine warmup=100 decay_steps=1000

:class:`ChainOptimizer` is a ``torch.optim.Optimizer``: its state (one tensor per stage
slot and parameter, and the step count) goes through ``state_dict`` as plain tensors, and
the learning rate lives in ``param_groups`` so schedulers and live edits reach it. The
file imports only torch: exported training code embeds it verbatim.
"""

import math

import torch


def _clip_by_global_norm(u, p, s, kw, count, lr):
    """Scale all updates down together when their joint L2 norm passes `max_norm`."""
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(x) for x in u]))
    scale = torch.clamp(kw["max_norm"] / norm, max=1.0) if norm > 0 else 1.0
    return [x * scale for x in u]


def _clip(u, p, s, kw, count, lr):
    """Clip every coordinate to [-max_delta, max_delta] (optax's ``clip``)."""
    return [x.clamp(-kw["max_delta"], kw["max_delta"]) for x in u]


def _add_decayed_weights(u, p, s, kw, count, lr):
    """u + weight_decay * p: before the moments it is L2 (torch's weight_decay in SGD and
    Adam); after them, before the learning rate, it is decoupled decay (AdamW)."""
    return [x + kw["weight_decay"] * w for x, w in zip(u, p)]


def _trace(u, p, s, kw, count, lr):
    """Momentum: trace = decay * trace + u; returns the trace (or u + decay * trace with
    nesterov), as optax's ``trace`` and torch's SGD (dampening 0)."""
    out = []
    for x, t in zip(u, s["trace"]):
        t.mul_(kw["decay"]).add_(x)
        out.append(x + kw["decay"] * t if kw["nesterov"] else t.clone())
    return out


def _scale_by_adam(u, p, s, kw, count, lr):
    """Adam's bias-corrected moments: m_hat / (sqrt(v_hat + eps_root) + eps)."""
    b1, b2 = kw["b1"], kw["b2"]
    out = []
    for x, m, v in zip(u, s["mu"], s["nu"]):
        m.mul_(b1).add_(x, alpha=1 - b1)
        v.mul_(b2).addcmul_(x, x, value=1 - b2)
        m_hat = m / (1 - b1 ** (count + 1))
        v_hat = v / (1 - b2 ** (count + 1))
        out.append(m_hat / ((v_hat + kw["eps_root"]).sqrt() + kw["eps"]))
    return out


def _scale_by_rms(u, p, s, kw, count, lr):
    """RMSprop: u / (sqrt(nu) + eps), nu a running mean of u^2 (eps outside the root, as
    torch.optim.RMSprop; optax's ``eps_in_sqrt=False``)."""
    d = kw["decay"]
    out = []
    for x, v in zip(u, s["nu"]):
        v.mul_(d).addcmul_(x, x, value=1 - d)
        out.append(x / (v.sqrt() + kw["eps"]))
    return out


def _scale(u, p, s, kw, count, lr):
    """Multiply by a constant `step_size` (negative to descend)."""
    return [x * kw["step_size"] for x in u]


def schedule_factor(kw, count):
    """The schedule's multiplier of the learning rate at step `count` (0-based)."""
    kind = kw["schedule"]
    warm = int(kw["warmup"])
    if warm and count < warm:
        return (count + 1) / warm  # linear warm-up, never a zero first step
    t = count - warm
    if kind == "step":
        return kw["gamma"] ** (t // max(1, int(kw["step_size"])))
    if kind == "cosine":
        span = max(1, int(kw["decay_steps"]))
        c = 0.5 * (1 + math.cos(math.pi * min(t, span) / span))
        return kw["alpha"] + (1 - kw["alpha"]) * c
    return 1.0


def _scale_by_learning_rate(u, p, s, kw, count, lr):
    """-lr * schedule(count) * u. The lr is the optimizer's (the Optimizer node's `lr`,
    which live edits and torch schedulers change) unless the stage sets its own."""
    rate = kw["lr"] if kw["lr"] > 0 else lr
    f = -rate * schedule_factor(kw, count)
    return [x * f for x in u]


#: name -> (function, per-parameter state slots, {option: default} in positional order).
STAGES = {
    "clip_by_global_norm": (_clip_by_global_norm, (), {"max_norm": 1.0}),
    "clip": (_clip, (), {"max_delta": 1.0}),
    "add_decayed_weights": (_add_decayed_weights, (), {"weight_decay": 0.0}),
    "trace": (_trace, ("trace",), {"decay": 0.9, "nesterov": False}),
    "scale_by_adam": (_scale_by_adam, ("mu", "nu"),
                      {"b1": 0.9, "b2": 0.999, "eps": 1e-8, "eps_root": 0.0}),
    "scale_by_rms": (_scale_by_rms, ("nu",), {"decay": 0.99, "eps": 1e-8}),
    "scale": (_scale, (), {"step_size": -1.0}),
    "scale_by_learning_rate": (_scale_by_learning_rate, (),
                               {"lr": 0.0, "schedule": "constant", "warmup": 0,
                                "decay_steps": 1000, "alpha": 0.0, "step_size": 100,
                                "gamma": 0.5}),
}
SCHEDULE_KINDS = ("constant", "step", "cosine")


def _value(stage, key, text):
    default = STAGES[stage][2][key]
    if isinstance(default, bool):
        if text.lower() not in ("true", "false"):
            raise ValueError(f"stage {stage}: {key} is true or false, not {text!r}")
        return text.lower() == "true"
    if isinstance(default, str):
        if text not in SCHEDULE_KINDS:
            raise ValueError(f"stage {stage}: {key} is one of {list(SCHEDULE_KINDS)}, "
                             f"not {text!r}")
        return text
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"stage {stage}: {key} is a number, not {text!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"stage {stage}: {key} is a finite number, not {text!r}")
    return int(number) if isinstance(default, int) else number


def parse_stages(text):
    """[[name, {option: value}], ...] from the chain's text (one stage per line, ``#``
    starts a comment); a ValueError names the line that is wrong."""
    out = []
    for n, line in enumerate(str(text).splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        name, args = words[0], words[1:]
        if name not in STAGES:
            raise ValueError(f"line {n}: no update stage {name!r}; stages: {sorted(STAGES)}")
        keys = list(STAGES[name][2])
        kw = dict(STAGES[name][2])
        for i, arg in enumerate(args):
            key, eq, val = arg.partition("=")
            if not eq:
                if i >= len(keys):
                    raise ValueError(f"line {n}: {name} takes at most {len(keys)} values "
                                     f"({', '.join(keys)})")
                key, val = keys[i], arg
            if key not in kw:
                raise ValueError(f"line {n}: {name} has no option {key!r}; options: {keys}")
            kw[key] = _value(name, key, val)
        out.append([name, kw])
    if not out:
        raise ValueError("the chain has no stages")
    return out


class ChainOptimizer(torch.optim.Optimizer):
    """A torch optimizer that applies a chain of update stages (:data:`STAGES`)."""

    def __init__(self, params, lr, stages):
        if isinstance(stages, str):
            stages = parse_stages(stages)
        super().__init__(params, {"lr": lr, "stages": [[n, dict(kw)] for n, kw in stages]})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            states = [self.state[p] for p in params]
            for p, st in zip(params, states):  # slots start at zero, as optax's init
                st.setdefault("step", torch.zeros((), dtype=torch.float64))
                for i, (name, _) in enumerate(group["stages"]):
                    for slot in STAGES[name][1]:
                        if f"{i}.{slot}" not in st:
                            st[f"{i}.{slot}"] = torch.zeros_like(p)
            count = int(states[0]["step"])
            updates = [p.grad.clone() for p in params]
            for i, (name, kw) in enumerate(group["stages"]):
                fn, slots, _ = STAGES[name]
                own = {slot: [st[f"{i}.{slot}"] for st in states] for slot in slots}
                updates = fn(updates, params, own, kw, count, group["lr"])
            for p, u in zip(params, updates):
                p.add_(u)
            for st in states:
                st["step"] += 1
        return loss
