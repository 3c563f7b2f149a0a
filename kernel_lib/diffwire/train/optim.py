"""Optimizer specs -> torch optimizers and learning-rate schedules.

A spec is a plain dict, the params of an ``Optimizer`` block (or an inline
``{"kind": "adam", "lr": 1e-3}``), so the document alone says how to train.
"""

from __future__ import annotations

import math

import torch

from ..errors import ParamError
from ..ports import Param
from ..runtime import optimizers, updates
from .presets import preset_stages
from .rda import RDA

KINDS = ("sgd", "adam", "adamw", "rmsprop", "lbfgs", "chain", "rda")
#: The longest chain text a document may hold (a chain is a handful of lines).
MAX_STAGES_TEXT = 10_000
SCHEDULES = ("none", "step", "cosine", "exponential")

#: Every option with its type and documented range: the Optimizer block's params, the
#: check of inline specs and the training schema's optimizer object (a test holds the
#: schema to this list). The upper bounds keep a document from turning a number into
#: memory or time: LBFGS keeps 2 * history_size vectors of every parameter.
PARAMS = (
    Param("kind", "choice", "adam", choices=KINDS),
    Param("lr", "float", 1e-3, min=0.0, max=1e6, doc="learning rate"),
    Param("momentum", "float", 0.0, min=0.0, max=1.0, doc="sgd, rmsprop"),
    Param("nesterov", "bool", False, doc="sgd with momentum"),
    Param("betas", "list", [0.9, 0.999], item="float", min=0.0, max=1.0, min_len=2,
          doc="adam, adamw: two numbers in [0, 1]"),
    Param("weight_decay", "float", 0.0, min=0.0, max=1e6),
    Param("grad_clip", "float", 0.0, min=0.0, max=1e12, doc="max gradient norm; 0: off"),
    Param("schedule", "choice", "none", choices=SCHEDULES),
    Param("step_size", "int", 100, min=1, max=10**9, doc="step schedule: steps between decays"),
    Param("gamma", "float", 0.5, min=0.0, max=10.0, doc="step/exponential schedule factor"),
    Param("t_max", "int", 0, min=0, max=10**9, doc="cosine period in steps; 0: the phase length"),
    Param("eta_min", "float", 0.0, min=0.0, max=1e6, doc="cosine floor"),
    Param("history_size", "int", 100, min=1, max=1000, doc="lbfgs: 1..1000 remembered steps"),
    Param("max_iter", "int", 20, min=1, max=10_000, doc="lbfgs evaluations per step, 1..10000"),
    Param("line_search", "choice", "strong_wolfe", choices=("strong_wolfe", "none")),
    Param("nodes", "list", [], item="string", doc="node ids to train; empty: all"),
    Param("stages", "string", "", multiline=True,
          doc="chain: one update stage per line, as optax chains them, e.g. "
              "'clip_by_global_norm 1.0', 'scale_by_adam b1=0.9 b2=0.999', "
              "'add_decayed_weights 0.01', 'scale_by_learning_rate schedule=cosine "
              "warmup=100 decay_steps=1000'; stages: " + ", ".join(updates.STAGES)),
)
_PARAM = {p.name: p for p in PARAMS}

#: Defaults of every spec key (the runtime's, which an exported training file holds too).
DEFAULTS: dict = optimizers.DEFAULTS

#: Keys run.set() may change on a live optimizer (they live in param_groups).
LIVE_KEYS = {"lr", "momentum", "nesterov", "betas", "weight_decay", "history_size", "max_iter"}
#: Keys that change the live schedule, and the scheduler attribute each one sets.
SCHEDULE_KEYS = {"gamma": "gamma", "step_size": "step_size", "t_max": "T_max",
                 "eta_min": "eta_min"}
#: Keys that need a new optimizer: edit the Optimizer node and rebuild instead.
REBUILD_KEYS = {"kind", "schedule", "nodes", "line_search", "stages"}


def normalize(spec: dict | str | tuple | None) -> dict:
    """A full spec dict from ``"adam"``, ``("adam", {"lr": 1e-2})`` or a partial dict."""
    if spec is None:
        spec = {}
    if isinstance(spec, str):
        spec = {"kind": spec}
    elif isinstance(spec, (tuple, list)):
        if len(spec) != 2 or not isinstance(spec[0], str) or not isinstance(spec[1], dict):
            raise ParamError("an optimizer is a kind or (kind, {options})", port="optimizer",
                             expected="('adam', {'lr': 1e-3})", found=repr(spec))
        spec = {"kind": spec[0], **spec[1]}
    elif not isinstance(spec, dict):
        raise ParamError("an optimizer is a kind, (kind, options) or a dict", port="optimizer",
                         found=type(spec).__name__)
    unknown = set(spec) - set(DEFAULTS)
    if unknown:
        raise ParamError(f"unknown optimizer option(s) {sorted(unknown)}", port="optimizer",
                         expected=f"some of {sorted(DEFAULTS)}", found=sorted(unknown))
    out = {**DEFAULTS, **spec}
    if isinstance(out["kind"], str):
        out["kind"] = out["kind"].lower()
    for key in spec:
        out[key] = _PARAM[key].check(out[key])
    if len(out["betas"]) != 2:
        raise ParamError("betas are two numbers", port="betas", expected="[b1, b2]",
                         found=out["betas"])
    out["nodes"] = list(out["nodes"] or [])
    if out["kind"] == "chain":
        check_stages(out["stages"])
    return out


def check_stages(text: str, node: str | None = None) -> list:
    """The parsed stages of a chain's text, or a ParamError naming the line at fault."""
    if len(text) > MAX_STAGES_TEXT:
        raise ParamError("the chain's text is too long", node=node, port="stages",
                         expected=f"at most {MAX_STAGES_TEXT} characters", found=len(text))
    try:
        return updates.parse_stages(text)
    except ValueError as exc:
        raise ParamError(f"bad update chain: {exc}", node=node, port="stages",
                         expected="one stage per line, e.g. 'scale_by_adam b1=0.9'",
                         found=text[:200]) from None


def as_chain(spec: dict) -> str:
    """The update chain that a spec's kind is (SGD, Adam, AdamW, RMSprop as stages), as
    the text a ``chain`` Optimizer takes."""
    if spec["kind"] == "chain":
        return spec["stages"]
    return preset_stages(spec)


#: The trainable parameters of a compiled graph, limited to some nodes' (runtime/optimizers.py).
select_params = optimizers.select_params
#: A spec's learning-rate schedule, or None (runtime/optimizers.py).
make_scheduler = optimizers.make_scheduler


def make_optimizer(spec: dict, params: list, foreach: bool | None = None,
                   fused: bool = False) -> torch.optim.Optimizer:
    """A torch optimizer built from a normalized spec: the runtime's (which an exported file
    embeds, :func:`diffwire.runtime.optimizers.make_optimizer`), plus diffwire's own rda."""
    if spec["kind"] == "rda":
        real = [p for p in params if not getattr(p, "truth_table", False)]
        if real:
            raise ParamError("the rda optimizer flips the bits of LUT truth tables only",
                             port="kind", expected="LUT gates' tables",
                             found=f"{len(real)} real-valued parameter tensor(s)",
                             hint="list the LUT nodes in the optimizer's `nodes`, or train "
                                  "the other weights with another optimizer phase")
        return RDA(params, lr=spec["lr"])  # a strict majority of a batch flips a bit (rda.py)
    return optimizers.make_optimizer(spec, params, foreach=foreach, fused=fused)


def apply_live(opt: torch.optim.Optimizer, sched, key: str, value) -> None:
    """Change a hyperparameter of a running optimizer (and its schedule's base)."""
    if key in SCHEDULE_KEYS:
        attr = SCHEDULE_KEYS[key]
        if sched is not None and hasattr(sched, attr):
            setattr(sched, attr, value)
        return
    for group in opt.param_groups:
        if key == "betas":
            value = tuple(float(b) for b in value)
        if key in group:
            group[key] = value
        if key == "lr" and "initial_lr" in group:
            group["initial_lr"] = value
    if key == "lr" and sched is not None:
        sched.base_lrs = [value for _ in sched.base_lrs]


def is_lbfgs(opt) -> bool:
    return isinstance(opt, torch.optim.LBFGS)


def finite(x: float) -> bool:
    return math.isfinite(x)


def is_lbfgs_spec(spec: dict) -> bool:
    return spec.get("kind") == "lbfgs"


def check_option(key: str, value):
    """One optimizer option checked against its documented range (a ParamError if not)."""
    return _PARAM[key].check(value)
