"""The exported training file, written out for one document as a person would write it.

The document's training section becomes literal PyTorch: its data (the generator call or
the file read, with their arguments), its loss (``F.mse_loss(out, batch["y"])``), each
optimizer phase as the torch call it is (``torch.optim.Adam(model.parameters(), lr=0.01)``,
built by the runtime's own :func:`~diffwire.runtime.optimizers.optimizer_args`), and only the
parts it uses: a schedule, clipping, a validation split, checkpoints. The runtime functions
it calls (a built-in generator, the update chains) are embedded verbatim, so the file trains
with no diffwire installed and steps as a kernel run does. User text reaches the file only
as literals (:func:`~.names.literal`).
"""

from __future__ import annotations

import ast
import copy
import inspect
import keyword
import pathlib

import torch.nn.functional as F

from ..document import Graph
from ..errors import GraphError
from ..runtime import batches, data, optimizers, updates
from ..train import losses, optim
from .names import literal
from .training_template import READ_CSV, SAVE_CHECKPOINT, Loop, main_function, train_function


def updates_source() -> str:
    """The runtime's update chains (:mod:`diffwire.runtime.updates`) without its imports:
    a file whose document trains with a ``chain`` optimizer steps exactly as a kernel run."""
    text = inspect.getsource(updates)
    body = ast.parse(text).body
    first = next(node for node in body[1:] if not isinstance(node, (ast.Import, ast.ImportFrom)))
    return "\n".join(text.splitlines()[first.lineno - 1:])


def optimizer_spec(graph: Graph, ref) -> dict:
    """An optimizer spec from an Optimizer node id, a kind, or a partial dict (the training
    engine's own normalisation, so the file trains as a kernel run would), keeping only the
    options that differ from :data:`diffwire.runtime.optimizers.DEFAULTS`."""
    if isinstance(ref, str) and ref in graph.nodes:
        node = graph.nodes[ref]
        if node.type != "Optimizer":
            raise GraphError("the training optimizer must be an Optimizer node", node=ref,
                             port="training.optimizer", found=node.type)
        ref = dict(node.params)
    spec = optim.normalize(ref)
    return {k: v for k, v in spec.items() if k == "kind" or v != optimizers.DEFAULTS[k]}


def training_plan(graph: Graph) -> dict:
    """The training section normalised: bindings, loss, phases (each an optimizer spec and
    its steps, None for the rest), steps, batch size, seed, validation split, checkpoints."""
    sec = copy.deepcopy(graph.training or {})
    bindings = {}
    for name, b in (sec.get("data") or {}).items():
        if isinstance(b, str):
            b = {"source": "kernel", "name": b}
        if not isinstance(b, dict):
            b = {"source": "kernel", "name": name}
        b = {k: v for k, v in b.items() if k != "value"}
        b.setdefault("source", "kernel")
        bindings[str(name)] = b
    if sec.get("schedule"):
        phases = [{"optimizer": optimizer_spec(graph, ph.get("optimizer")), "steps": ph.get("steps")}
                  for ph in sec["schedule"]]
    elif sec.get("optimizer") is not None:
        phases = [{"optimizer": optimizer_spec(graph, sec["optimizer"]), "steps": None}]
    else:
        nodes = [n.id for n in graph.nodes.values() if n.type == "Optimizer"]
        phases = [{"optimizer": optimizer_spec(graph, nodes[0] if len(nodes) == 1 else None),
                   "steps": None}]
    steps = sec.get("steps")
    if steps is None:
        total = sum(ph["steps"] or 0 for ph in phases)
        steps = total if total and all(ph["steps"] for ph in phases) else 1000
    return {
        "data": bindings, "loss": sec.get("loss", "mse"), "phases": phases, "steps": int(steps),
        "batch_size": sec.get("batch_size"), "seed": int(sec.get("seed") or 0),
        "val_split": float(sec.get("val_split") or 0.0),
        "checkpoint_every": int(sec.get("checkpoint_every") or 0),
    }


def loss_nodes(graph: Graph) -> list[str]:
    """Node ids whose value a loss term reads (``{"node": id}``): the forward keeps them."""
    loss = (graph.training or {}).get("loss")
    terms = [loss] if isinstance(loss, dict) else loss if isinstance(loss, list) else []
    return [t["node"] for t in terms if isinstance(t, dict) and t.get("node") in graph.nodes]


def training_source(graph: Graph) -> str:
    """Everything of the exported training file below its imports."""
    plan = training_plan(graph)
    bindings = plan["data"]
    gens = list(dict.fromkeys(b.get("name") for b in bindings.values()
                              if b["source"] == "generator" and b.get("name") in data.SOURCES))
    files = [b for b in bindings.values() if b["source"] == "file"]  # read from HERE
    fixed = [k for k, b in bindings.items() if b.get("batch") is False]
    specs = [ph["optimizer"] for ph in plan["phases"]]
    taps = bool(loss_nodes(graph))
    loop = Loop(
        loss_args="model, net, batch" if taps else "net, batch",
        phases=(["optimizer"] + (["schedule"] if any(_schedule(s) for s in specs) else [])
                + (["clip"] if any(optimizers.grad_clip(s) for s in specs) else []) + ["length"]),
        many_phases=len(specs) > 1, batches=bool(plan["batch_size"]), fixed=bool(fixed),
        val=bool(plan["val_split"]), checkpoints=bool(plan["checkpoint_every"]),
        files=bool(files), closure=any(s["kind"] == "lbfgs" for s in specs), find_unused=any(not n.block.static for _, n in graph.walk()
                                           if n.type in _known()))
    constants = [f"STEPS = {plan['steps']}  # --steps N on the command line overrides it",
                 f"SEED = {plan['seed']}"]
    for name, value in (("BATCH_SIZE", plan["batch_size"]), ("VAL_SPLIT", plan["val_split"]),
                        ("CHECKPOINT_EVERY", plan["checkpoint_every"])):
        if value:
            constants.append(f"{name} = {literal(value)}")
    if fixed:
        constants.append(f"FIXED = {literal(fixed)}  # passed whole every step, not in batches")
    if files:
        constants.append("HERE = pathlib.Path(__file__).resolve().parent  # data files are read here")
    parts = ["\n".join(constants)]
    # the runtime's functions it calls, verbatim: the code a kernel run calls
    runtime = [fn for g in gens for fn in data.SOURCES[g]]
    runtime += [fn for fn, used in ((batches.split_rows, loop.val),
                                    (batches.epoch_order, loop.batches)) if used]
    runtime += optimizers.SOURCES if any(s.get("nodes") for s in specs) else []
    runtime = list(dict.fromkeys(runtime))
    sources = [inspect.getsource(fn).strip("\n") for fn in runtime]
    if any(s["kind"] in optimizers.OPTIMIZERS for s in specs):
        sources.append(updates_source().strip("\n"))
    if sources:
        files_of = sorted({f"{fn.__module__.rsplit('.', 1)[1]}.py" for fn in runtime}
                          | ({"updates.py"} if len(sources) > len(runtime) else set()))
        sources[0] = (f"# -- diffwire's runtime ({', '.join(files_of)}), verbatim --\n"
                      + sources[0])
    parts += sources
    if any(not str(b.get("path", "")).lower().endswith(".npz") for b in files):
        parts.append(READ_CSV.strip("\n"))
    parts += [load_data_function(bindings, bool(files)),
              loss_function(graph, plan, taps),
              phases_function(specs, [ph["steps"] for ph in plan["phases"]], loop.phases)]
    if loop.checkpoints:
        parts.append(SAVE_CHECKPOINT.strip("\n"))
    parts += [train_function(loop), main_function(loop)]
    return "\n\n\n".join(p.strip("\n") for p in parts) + "\n"


def load_data_function(bindings: dict, files: bool) -> str:
    """``load_data()``: each binding as the call or file read that makes it."""
    out = [f"def load_data(data=None{', root=HERE' if files else ''}):",
           '    """The training tensors by name, as the document binds them; `data` replaces or',
           '    adds any. float64 data (numpy\'s default) trains as float32."""']
    passed = [name for name, b in bindings.items()
              if b["source"] == "kernel" or (b["source"] == "generator"
                                             and b.get("name") not in data.SOURCES)]
    if passed:
        out += [
            "    data = dict(data or {})",
            "    # the notebook that exported this file held these: they are passed in",
            f"    for name in {literal(passed)}:",
            "        if name not in data:",
            "            raise ValueError(",
            '                f"training data {name!r} comes from the notebook that exported this "',
            '                f"file: pass it in, train(data={{{name!r}: tensor}})"',
            "            )",
        ]
    calls, entries = {}, []
    for name, b in bindings.items():
        if b["source"] == "generator" and b.get("name") in data.SOURCES:
            call = f"{b['name']}({_kwargs(b.get('kwargs') or {})})"
            var = calls.setdefault(call, "made" if not calls else f"made_{len(calls) + 1}")
            entries.append(f"{literal(name)}: {var}[{literal(b.get('key', name))}]")
    for call, var in calls.items():
        out.append(f"    {var} = {call}")
    given = "data" if passed else "data or {}"
    if not files:  # nothing more to read: what is passed in goes in with the rest
        entries.append(f"**{given}" if passed else "**(data or {})")
    out.append("    tensors = {" + ", ".join(entries) + "}")
    npz: dict[str, list[str]] = {}
    for name, b in bindings.items():
        if b["source"] != "file":
            continue
        path = pathlib.PurePosixPath(str(b.get("path", "")))
        if path.is_absolute() or ".." in path.parts or not path.parts:
            problem = f"data path {str(path)!r} must stay inside the data folder"
            out.append(f"    raise ValueError({literal(problem)})")
            continue
        where = f"root / {literal(str(path))}"
        if path.suffix.lower() == ".npz":
            npz.setdefault(where, []).append(
                f"        tensors[{literal(name)}] = npz[{literal(b.get('key', name))}]")
        else:
            columns = b.get("columns")
            out.append(f"    tensors[{literal(name)}] = read_csv({where}"
                       + (f", {literal(list(columns))})" if columns is not None else ")"))
    for where, lines in npz.items():
        out += [f"    with np.load({where}, allow_pickle=False) as npz:"] + lines
    if files:
        out.append(f"    tensors.update({given})")
    out += [
        "    tensors = {k: torch.as_tensor(v) for k, v in tensors.items()}",
        "    return {k: v.float() if v.dtype == torch.float64 else v for k, v in tensors.items()}",
    ]
    return "\n".join(out) + "\n"


def loss_function(graph: Graph, plan: dict, taps: bool) -> str:
    """``compute_loss()``: each loss term as its torch call, resolved against the data names
    as the training engine resolves them (:func:`diffwire.train.losses.normalize_loss`)."""
    inputs = [n.params.get("name") for n in graph.inputs()]
    outputs = [n.params.get("name") for n in graph.outputs()]
    args = "model, net, batch" if taps else "net, batch"
    head = [f"def compute_loss({args}):", '    """The document\'s loss on a batch."""']
    # no bindings: the data a caller passes is named after the inputs and outputs
    names = dict.fromkeys(plan["data"] or [*inputs, *outputs])
    try:
        terms = losses.normalize_loss(graph, plan["loss"], names)
    except GraphError as e:  # exported anyway (the CLI warns): the file says what is wrong
        return "\n".join(head + [f"    raise ValueError({literal(str(e))})"]) + "\n"
    body, values = [], []
    if any("node" not in t for t in terms) or taps:
        call = f"net({', '.join(f'batch[{literal(i)}]' for i in inputs)})"
        body.append(f"    out = {call}" if any("node" not in t for t in terms) else f"    {call}")
    for t in terms:
        if "node" in t:
            value = f"model.taps[{literal(t['node'])}].sum()"
        else:
            out = "out" if len(outputs) == 1 else f"out[{literal(t['output'])}]"
            if t.get("target") is None:
                value = f"{out}.sum()"
            else:
                fn = losses.FNS[t["fn"]]
                if getattr(F, fn.__name__, None) is not fn:  # hamming: for rda, in diffwire
                    problem = f"the {t['fn']!r} loss trains in diffwire only (dw.train)"
                    return "\n".join(head + [f"    raise ValueError({literal(problem)})"]) + "\n"
                value = f"F.{fn.__name__}({out}, batch[{literal(t['target'])}])"
        weight = float(t.get("weight", 1.0))
        values.append(value if weight == 1.0 else f"{literal(weight)} * {value}")
    body.append("    return " + " + ".join(values))
    return "\n".join(head + body) + "\n"


def phases_function(specs: list[dict], steps: list, items: list[str]) -> str:
    """``phases()``: each optimizer phase as the torch calls that build it, made when the
    phase before it ends (so a schedule's phase length is known)."""
    out = ["def phases(model, steps):",
           '    """The optimizer phases in order, each made as the one before it ends."""']
    for i, (spec, length) in enumerate(zip(specs, steps)):
        last = i == len(specs) - 1
        try:
            cls, kwargs = optimizers.optimizer_args(spec)
        except ValueError as e:  # rda: diffwire's own
            out.append(f"    raise ValueError({literal(str(e))})")
            break
        nodes = spec.get("nodes") or []
        params = f"select_params(model, {literal(list(nodes))})" if nodes else "model.parameters()"
        if len(specs) > 1:
            out.append(f"    # phase {i}: " + ("the steps left" if last else f"{length or 0} steps"))
        count = "steps" if last else "length"
        if not last:
            out.append(f"    length = min({int(length or 0)}, steps)")
        built = _call(cls, params, kwargs)
        values = {"optimizer": "optimizer", "length": count,
                  "clip": literal(float(optimizers.grad_clip(spec))), "schedule": "None"}
        made = optimizers.scheduler_args(spec, _Name(count))
        short = f"    yield {built}, {count}"
        if items == ["optimizer", "length"] and len(short) <= 88:  # nothing else refers to it
            out.append(short)
        else:
            out.append(f"    optimizer = {built}")
            if made is not None:
                out.append(f"    schedule = {_call(made[0], 'optimizer', made[1])}")
                values["schedule"] = "schedule"
            out.append("    yield " + ", ".join(values[k] for k in items))
        if not last:
            out.append("    steps -= length")
    return "\n".join(out) + "\n"


class _Name(int):
    """A variable of the written file standing in for an int argument: it prints as its
    name (``T_max=length``). Large, so the runtime's ``max(1, steps)`` keeps it."""

    def __new__(cls, name: str):
        obj = super().__new__(cls, 2**62)
        obj.name = name
        return obj


def _call(cls, first: str, kwargs: dict) -> str:
    """``torch.optim.Adam(model.parameters(), lr=0.01)``: the arguments torch's defaults do
    not already give (the learning rate always)."""
    defaults = {k: p.default for k, p in inspect.signature(cls).parameters.items()}
    args = [first]
    for k, v in kwargs.items():
        if k != "lr" and k in defaults and not isinstance(v, _Name) and v == defaults[k]:
            continue
        args.append(f"{k}={_value(v)}")
    module = cls.__module__
    owner = ("torch.optim.lr_scheduler" if module.startswith("torch.optim.lr_scheduler")
             else "torch.optim" if module.startswith("torch.optim") else None)
    return f"{owner + '.' if owner else ''}{cls.__name__}({', '.join(args)})"


def _value(v) -> str:
    if isinstance(v, _Name):
        return v.name
    if isinstance(v, tuple):
        return "(" + ", ".join(literal(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return literal(v)


def _kwargs(kwargs: dict) -> str:
    """Keyword arguments of a generator call (``**{...}`` for a name that is not one)."""
    if all(str(k).isidentifier() and not keyword.iskeyword(k) for k in kwargs):
        return ", ".join(f"{k}={literal(v)}" for k, v in kwargs.items())
    return f"**{literal(dict(kwargs))}"


def _schedule(spec: dict) -> bool:
    return optimizers.scheduler_args(spec, 1) is not None


def _known():
    from ..blocks import BLOCKS

    return BLOCKS

