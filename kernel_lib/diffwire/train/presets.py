"""The built-in optimizer kinds as chains of update stages (runtime/updates.py).

Each kind is what torch.optim computes, written as optax would chain it: torch's
``weight_decay`` in SGD, Adam and RMSprop is L2 (added to the gradient before the
moments); AdamW's is decoupled (added after the moments, scaled by the learning rate).
The tests hold each chain to its torch.optim twin to 1e-6 over 100 float64 steps.
"""

from __future__ import annotations


def preset_stages(spec: dict) -> str:
    """The chain text of a normalized spec of kind sgd, adam, adamw or rmsprop."""
    kind, wd, mom = spec["kind"], spec["weight_decay"], spec["momentum"]
    b1, b2 = spec["betas"]
    lines = [f"clip_by_global_norm {spec['grad_clip']!r}"] if spec["grad_clip"] > 0 else []
    l2 = [f"add_decayed_weights {wd!r}"] if wd > 0 else []
    if kind == "sgd":
        nesterov = "true" if spec["nesterov"] else "false"
        lines += l2 + ([f"trace decay={mom!r} nesterov={nesterov}"] if mom > 0 else [])
    elif kind == "adam":
        lines += l2 + [f"scale_by_adam b1={b1!r} b2={b2!r} eps=1e-08"]
    elif kind == "adamw":
        lines += [f"scale_by_adam b1={b1!r} b2={b2!r} eps=1e-08"] + l2
    elif kind == "rmsprop":
        lines += l2 + ["scale_by_rms decay=0.99 eps=1e-08"]
        lines += [f"trace decay={mom!r}"] if mom > 0 else []
    else:
        raise ValueError(f"{kind} has no chain form (LBFGS searches along a line)")
    return "\n".join(lines + ["scale_by_learning_rate"])
