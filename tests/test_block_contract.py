"""Every registered block through build, forward shape, gradcheck and JSON round trip."""

import json

import pytest
import torch

import diffwire as dw

from helpers import compiled_block_types, example_graph

TYPES = compiled_block_types()


def test_every_builtin_is_in_the_battery():
    for name in ["Input", "Output", "Constant", "Parameter", "Linear", "MLP", "Activation",
                 "MatMul", "Add", "Sub", "Mul", "Div", "Neg", "Pow", "Concat", "Split", "Index",
                 "Reshape", "Sum", "Mean", "Expression", "MSE", "L1", "Huber", "CrossEntropy",
                 "BCE", "Loop", "Conditional", "Map", "Group", "Gradient"]:
        assert name in TYPES
        assert dw.BLOCKS[name].__doc__, f"{name} has no docstring"


#: built-in blocks outside the battery, and why
NOT_IN_BATTERY = {"Optimizer": "not compiled: it configures training (tests/test_train_optim.py)"}
#: built-in blocks with no export() of their own, and why
NO_EXPORT = {"Input": "the exported forward's parameters", "Output": "its return values",
             "Optimizer": "the training harness writes it (export/training.py)"}


def test_every_registered_block_is_in_the_battery_or_excused():
    from diffwire.blocks.registry import BLOCKS

    builtin = {t for t, cls in BLOCKS.items() if cls.__module__.startswith("diffwire.")}
    assert builtin - set(TYPES) == set(NOT_IN_BATTERY)
    # a block owns its export: every one has its own, beside its build, or is excused
    missing = {t for t in builtin if getattr(BLOCKS[t], "export", None) is None}
    assert missing == set(NO_EXPORT)


@pytest.mark.parametrize("type_name", TYPES)
def test_builds_and_forward_shapes_match_inference(type_name):
    g, inputs = example_graph(type_name)
    assert [e for e in g.validate() if e.severity == "error"] == []
    shapes = g.infer_shapes()
    model = g.compile(seed=0, dtype=torch.float64)
    outs = model.run(**inputs)
    for out_node, value in zip(g.outputs(), outs):
        edge = g.edges_into(out_node.id)["x"]
        inferred = shapes[edge.source][edge.source_port]
        assert list(value.shape) == inferred, (type_name, edge, inferred)


def _differentiable(type_name):
    g, inputs = example_graph(type_name)
    model = g.compile(seed=0, dtype=torch.float64)
    has_args = any(v.is_floating_point() for v in inputs.values()) or any(
        True for _ in model.parameters())
    has_float_out = any(o.is_floating_point() for o in model.run(**inputs))
    return has_args and has_float_out


def _boolean(type_name):
    """A block whose ports are all bool wires (the logic gates): values in Z2 have no real
    derivative, so gradcheck cannot hold; their reverse derivative over Z2 is checked
    against flipping bits instead (test_z2_reverse_derivative_is_bit_flips)."""
    g, _ = example_graph(type_name)
    node = g.nodes.get("node")
    if node is None:  # Input / Output
        return False
    ports = node.input_ports() + node.output_ports()
    return bool(ports) and all(p.kind == "bool" for p in ports)


BOOLEAN = sorted(t for t in TYPES if _boolean(t))
NOT_DIFFERENTIABLE = {"Constant", "Compare", *BOOLEAN}


def test_only_constant_compare_and_boolean_gates_lack_gradients():
    assert {"And", "Or", "Xor", "Not", "LUT"} <= set(BOOLEAN)
    assert {t for t in TYPES if not _differentiable(t)} == NOT_DIFFERENTIABLE & set(TYPES)


@pytest.mark.parametrize("type_name", BOOLEAN)
def test_z2_reverse_derivative_is_bit_flips(type_name):
    """The gradcheck of a boolean block: in reverse mode its backward (cotangent 1 on every
    output bit) says, for each input bit and each weight bit, whether flipping it changes
    the output: checked by flipping each one and running the block again."""
    from diffwire.blocks.boolean import reverse_mode

    g, inputs = example_graph(type_name)
    model = g.compile(seed=0)
    names = list(inputs)

    def run(values, params=None):
        out = torch.func.functional_call(model, params or dict(model.named_parameters()),
                                         args=(), kwargs=values)
        return out if torch.is_tensor(out) else next(iter(out.values()))

    base = run(inputs)
    xs = {n: inputs[n].float().requires_grad_(True) for n in names}
    with reverse_mode():
        out = run(xs)
        out.backward(torch.ones_like(out))
    for n in names:
        for e in range(inputs[n].numel()):
            flipped = inputs[n].clone().reshape(-1)
            flipped[e] = ~flipped[e]
            changed = run({**inputs, n: flipped.reshape(inputs[n].shape)}) != base
            assert xs[n].grad.reshape(-1)[e].item() == changed.reshape(-1)[e].item(), (n, e)
    for pname, p in model.named_parameters():  # a table bit: every output element reading it
        for j in range(p.numel()):
            q = p.detach().clone()
            q.reshape(-1)[j] = 1 - q.reshape(-1)[j]
            changed = (run(inputs, {pname: q}) != base).sum().item()
            assert p.grad.reshape(-1)[j].item() == changed, (pname, j)


@pytest.mark.parametrize("type_name", [t for t in TYPES if t not in NOT_DIFFERENTIABLE])
def test_gradcheck_float64(type_name):
    """Gradients w.r.t. every float input and every parameter, checked numerically."""
    g, inputs = example_graph(type_name)
    model = g.compile(seed=0, dtype=torch.float64)
    float_names = [n for n in inputs if inputs[n].is_floating_point()]
    param_names = [n for n, _ in model.named_parameters()]
    params = dict(model.named_parameters())

    def fn(*args):
        torch.manual_seed(0)  # random blocks (Dropout) draw the same noise every call
        values = dict(inputs)
        values.update(zip(float_names, args[: len(float_names)]))
        p = dict(zip(param_names, args[len(float_names):]))
        out = torch.func.functional_call(model, p, args=(), kwargs=values)
        outs = tuple(out.values()) if isinstance(out, dict) else (out,)
        return tuple(o for o in outs if o.is_floating_point())

    args = tuple(inputs[n].clone().requires_grad_(True) for n in float_names) + tuple(
        params[n].detach().clone().requires_grad_(True) for n in param_names)
    assert args
    assert torch.autograd.gradcheck(fn, args, eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("type_name", TYPES)
def test_json_round_trip(type_name, tmp_path):
    g, inputs = example_graph(type_name)
    path = g.save(tmp_path / "g.diffwire")
    g2 = dw.load(path)
    assert g2 == g
    assert g2.to_json() == path.read_text()
    outs = []
    for graph in (g, g2):
        model = graph.compile(seed=3, dtype=torch.float64)
        torch.manual_seed(0)  # random blocks (Dropout) draw the same noise in both
        outs.append(model.run(**inputs))
    a, b = outs
    for x, y in zip(a, b):
        assert torch.equal(x, y)


@pytest.mark.parametrize("type_name", TYPES)
def test_catalog_entry_is_json(type_name):
    entry = next(b for b in dw.catalog()["blocks"] if b["type"] == type_name)
    text = json.dumps(entry)
    assert json.loads(text)["type"] == type_name
    assert entry["doc"]
    for p in entry["params"]:
        assert p["kind"] in dw.ports.PARAM_KINDS


def test_every_public_name_has_its_own_docstring():
    import inspect
    missing = []
    for name in dw.__all__:
        obj = getattr(dw, name)
        if inspect.isclass(obj):
            doc = obj.__dict__.get("__doc__")
        elif callable(obj) or inspect.ismodule(obj):
            doc = obj.__doc__
        else:
            continue  # plain values (a version string) carry no docstring of their own
        if not (doc and doc.strip()):
            missing.append(name)
    assert not missing


def test_every_builtin_block_has_a_doc_and_editor_param_kinds():
    editor_kinds = {"int", "float", "string", "bool", "choice", "list", "shape", "dict"}
    from diffwire.blocks.registry import BLOCKS
    builtin = {t for t, cls in BLOCKS.items() if cls.__module__.startswith("diffwire.")}
    blocks = dw.catalog()["blocks"]
    for b in blocks.values() if isinstance(blocks, dict) else blocks:
        if b["type"] not in builtin:  # blocks other tests registered
            continue
        assert b["doc"].strip(), b["type"]
        for p in b["params"]:
            assert p["kind"] in editor_kinds, (b["type"], p["name"], p["kind"])


def _builtin_with_import_rule() -> list[str]:
    """Every built-in block whose file registers a torch.fx import rule."""
    from diffwire.blocks import fx_rules
    from diffwire.blocks.registry import BLOCKS

    modules = fx_rules.rule_modules()
    return sorted(t for t, cls in BLOCKS.items()
                  if cls.__module__.startswith("diffwire.") and cls.__module__ in modules)


FX_TYPES = _builtin_with_import_rule()
#: blocks with an import rule whose exported code does not trace back, and why
FX_NOT_FROM_EXPORT = {
    "Embedding": "its exported forward rounds float indices behind an `if` on the dtype, "
                 "which torch.fx cannot trace (test_from_module_layers imports nn.Embedding)",
}


def test_import_rules_live_in_block_files():
    from diffwire.blocks import fx_rules
    from diffwire.blocks.registry import BLOCKS

    block_files = {cls.__module__ for cls in BLOCKS.values()}
    # encoder_layer.py: expansion rules only (the layer becomes its sublayers' blocks)
    assert fx_rules.rule_modules() - block_files == {"diffwire.blocks.encoder_layer"}
    assert {"Linear", "Conv2d", "Activation", "MLP", "Add", "Sub", "Mul", "Div", "MatMul",
            "Neg", "Pow", "Concat", "Reshape", "Sum", "Mean", "Constant", "Parameter",
            "Pool", "Softmax", "MultiheadAttention"} <= set(FX_TYPES)


def _flat(out) -> list:
    if isinstance(out, dict):
        return [out[k] for k in sorted(out)]
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("type_name", [t for t in FX_TYPES if t not in FX_NOT_FROM_EXPORT])
def test_exported_code_imports_back_as_the_block(type_name, tmp_path):
    """A block with an import rule comes back from its own exported code through
    dw.from_module: a node of its type, no opaque Module, the same outputs."""
    from export_util import load_source

    g, inputs = example_graph(type_name)
    compiled = g.compile(seed=0)
    exported = load_source(dw.export(g), tmp_path).Model()
    exported.load_state_dict(compiled.state_dict())
    xs = tuple(inputs[n.params["name"]].to(torch.float32) if inputs[n.params["name"]]
               .is_floating_point() else inputs[n.params["name"]] for n in g.inputs())
    back = dw.from_module(exported, xs, dynamic_batch=False)  # MatMul's b has no batch
    types = [n.type for n in back.nodes.values()]
    assert type_name in types and "Module" not in types, types
    torch.manual_seed(0)  # random blocks (Dropout) draw the same noise in both
    want = _flat(exported(*xs))
    torch.manual_seed(0)
    got = _flat(back.compile(seed=1)(*xs))
    assert len(got) == len(want)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)
