from torch import nn

from ..context import inferring
from ..errors import ShapeMismatch
from ..ports import AUTO, Param, Port
from . import fastpath
from .activations import ACTIVATION_NAMES, ACTIVATIONS, activation_module
from .base import Block, ExportedNode, FollowsWire, unresolved_auto, wire_size
from .fx_rules import Item, fold_rule


class MLP(Block):
    """A multilayer perceptron: Linear layers of the given `widths` with an activation
    between them (and optionally after the last)."""

    type = "MLP"
    category = "layers"
    inputs = (Port("x", shape=("*", "widths[0]")),)
    outputs = (Port("out", shape=("*", "widths[-1]")),)
    params = (
        Param("widths", "list", [2, 32, 2], item="int", min=1, min_len=2, auto=True,
              doc="layer sizes, input first (auto first: the size of the wire into x)"),
        Param("activation", "choice", "tanh", choices=ACTIVATION_NAMES),
        Param("final_activation", "choice", "none", choices=("none",) + ACTIVATION_NAMES),
        Param("bias", "bool", True),
        Param("init_std", "float", 0.0, min=0.0,
              doc="0: torch's default init; > 0: weights from N(0, init_std), zero biases "
                  "(torchdiffeq's neural ODE demos use 0.1: a gentle field to start from)"),
    )
    example_params = {"widths": [3, 5, 2], "activation": "tanh"}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def resolve_auto(cls, params, inputs):
        if params["widths"][0] != AUTO:
            return params
        return {**params, "widths": [wire_size(inputs, "x", "widths")] + list(params["widths"][1:])}

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        if p["widths"][0] == AUTO:
            if not ctx.meta:
                raise unresolved_auto(node, "widths")
            return FollowsWire(p["widths"][-1])
        widths, act = p["widths"], ACTIVATIONS[p["activation"]]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Linear(a, b, bias=p["bias"]))
            if i < len(widths) - 2:
                layers.append(act())
        if p["final_activation"] != "none":
            layers.append(ACTIVATIONS[p["final_activation"]]())
        std = p.get("init_std") or 0.0
        if std > 0:
            for m in layers:
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, mean=0.0, std=std)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
        return _CheckedSeq(widths[0], *layers)

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        widths, bias = p["widths"], "" if p["bias"] else ", bias=False"
        layers = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(f"nn.Linear({a}, {b}{bias})")
            if i < len(widths) - 2:
                layers.append(activation_module(ctx, p["activation"]))
        if p["final_activation"] != "none":
            layers.append(activation_module(ctx, p["final_activation"]))
        init = f"nn.Sequential({', '.join(layers)})"
        if p.get("init_std"):
            ctx.helper("_normal_init")
            init = f"_normal_init({init}, {float(p['init_std'])!r})"
        return ExportedNode(init=init, forward=[ctx.assign(f"{ctx.slot}({ctx.args[0]})")])


class _CheckedSeq(nn.Sequential):
    """nn.Sequential that checks the input width (a readable shape error) and runs its
    layers through :mod:`.fastpath` (the same layers, called without per-layer module
    overhead: an ODE field calls this hundreds of times per solve)."""

    def __init__(self, in_features: int, *layers: nn.Module):
        super().__init__(*layers)
        self.in_features = in_features
        self.out_features = [m for m in layers if isinstance(m, nn.Linear)][-1].out_features

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ShapeMismatch("last dimension does not match widths[0]", port="x",
                                expected=f"[..., {self.in_features}]", found=list(x.shape))
        if inferring():  # meta addmm goes through slow Python decompositions
            return x.new_empty(x.shape[:-1] + (self.out_features,))
        return fastpath.run(self, x)

    def __getstate__(self):  # the plan holds this module's layers: a copy makes its own
        state = dict(self.__dict__)
        state.pop("_fast_plan", None)
        return state


@fold_rule
def _fold(items: list[Item], outputs: list) -> None:
    """Linear (activation Linear)+ chains with one activation and one consumer per link
    become one MLP item (its Linear weights under 0, 2, 4 ... as nn.Sequential keys)."""
    uses: dict[int, list[int]] = {}
    for j, it in enumerate(items):
        for a in it.args:
            if a[0] == "item":
                uses.setdefault(a[1], []).append(j)
    for _, a in outputs:
        if a[0] == "item":
            uses.setdefault(a[1], []).append(-1)

    def sole(i):
        u = uses.get(i, [])
        return u[0] if len(u) == 1 and u[0] >= 0 else None

    for i, it in enumerate(items):
        if it.dead or it.type != "Linear":
            continue
        chain, fn, cur = [i], None, i
        while True:
            a = sole(cur)
            if a is None or items[a].type != "Activation" or (fn and items[a].params["fn"] != fn):
                break
            b = sole(a)
            if b is None or items[b].type != "Linear" or \
                    items[b].params["in_features"] != items[cur].params["out_features"] or \
                    items[b].params["bias"] != it.params["bias"]:
                break
            fn = items[a].params["fn"]
            chain += [a, b]
            cur = b
        if len(chain) < 3:
            continue
        final = sole(cur)
        final_fn = "none"
        if final is not None and items[final].type == "Activation":
            final_fn = items[final].params["fn"]
            chain.append(final)
        linears = [items[k] for k in chain if items[k].type == "Linear"]
        widths = [linears[0].params["in_features"]] + [lin.params["out_features"] for lin in linears]
        weights = {}
        for k, lin in enumerate(linears):
            for key, v in lin.weights.items():
                weights[f"{2 * k}.{key.split('.', 1)[1]}"] = v
        mlp = Item("MLP", {"widths": widths, "activation": fn, "final_activation": final_fn,
                           "bias": it.params["bias"]}, list(it.args), weights,
                   label=" -> ".join(items[k].label or items[k].type for k in chain)[:200],
                   hint="mlp")
        last = chain[-1]
        items[i] = mlp
        for k in chain[1:]:
            items[k].dead = True
        for other in items:
            other.args = [("item", i, "out") if a[0] == "item" and a[1] == last else a
                          for a in other.args]
        for k, (name, a) in enumerate(outputs):
            if a[0] == "item" and a[1] == last:
                outputs[k] = (name, ("item", i, "out"))
        uses[i] = uses.get(last, [])
