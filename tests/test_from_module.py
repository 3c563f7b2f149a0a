"""dw.from_module: torch.fx traces a module into blocks; the compiled graph matches it."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import diffwire as dw
from diffwire.export import MODULES

from export_util import assert_same, load_source


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 4)
        self.scale = nn.Parameter(torch.tensor([0.5, 1.0, 1.5, 2.0]))

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        return self.fc2(h) * self.scale + x * 2 - x.mean(-1, keepdim=True) - (-x) ** 2


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(2, 2, bias=False)

    def forward(self, x, z):
        h = torch.cat([self.a(x), z], dim=-1)
        return torch.tanh(h).sum(-1), F.gelu(self.b(z)) @ torch.ones(2, 2) / 3


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2)
        self.norm = nn.LayerNorm(8)
        self.act = nn.Softsign()  # a layer with no block
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 3 * 3, 16), nn.ReLU(),
                                  nn.Linear(16, 10))

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2)
        x = self.act(self.conv2(x))
        x = self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.head(x.reshape(x.size(0), -1).view(x.shape[0], 8, 3, 3))


def _check(m, ex, fresh):
    g = dw.from_module(m, ex)
    compiled = g.compile()
    assert_same_module(m, compiled, fresh)
    return g, compiled


def assert_same_module(m, compiled, xs):
    a_in = [x.clone().requires_grad_(True) for x in xs]
    b_in = [x.clone().requires_grad_(True) for x in xs]
    a, b = m(*a_in), compiled(*b_in)
    a = list(a) if isinstance(a, tuple) else [a]
    b = [b[k] for k in sorted(b)] if isinstance(b, dict) else [b]
    assert len(a) == len(b)
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, atol=1e-6, rtol=1e-6)
    sum((x * (i + 1)).sum() for i, x in enumerate(a)).backward()
    sum((y * (i + 1)).sum() for i, y in enumerate(b)).backward()
    for x, y in zip(a_in, b_in):
        torch.testing.assert_close(x.grad, y.grad, atol=1e-6, rtol=1e-6)


def test_sequential_mlp_becomes_one_mlp_block(tmp_path):
    m = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))
    g, compiled = _check(m, torch.randn(5, 2), [torch.randn(7, 2)])
    types = sorted(n.type for n in g.nodes.values())
    assert types == ["Input", "MLP", "Output"]
    assert g.node("mlp").params["widths"] == [2, 16, 16, 3]
    exported = load_source(dw.export(g), tmp_path).Model()
    exported.load_state_dict(compiled.state_dict())
    assert_same(compiled, exported, [torch.randn(6, 2)])


def test_functions_and_operators_map_to_blocks(tmp_path):
    g, compiled = _check(Residual(), torch.randn(3, 4), [torch.randn(5, 4)])
    types = {n.type for n in g.nodes.values()}
    assert {"MLP", "Mul", "Add", "Sub", "Mean", "Neg", "Pow", "Parameter",
            "Constant"} <= types
    assert "Module" not in types
    exported = load_source(dw.export(g), tmp_path).Model()
    exported.load_state_dict(compiled.state_dict())
    assert_same(compiled, exported, [torch.randn(5, 4)])


def test_two_inputs_and_a_tuple_of_outputs():
    g, _ = _check(TwoHeads(), (torch.randn(2, 3), torch.randn(2, 2)),
                  [torch.randn(4, 3), torch.randn(4, 2)])
    assert [n.params["name"] for n in g.outputs()] == ["y0", "y1"]
    assert {"Concat", "Sum", "MatMul", "Div"} <= {n.type for n in g.nodes.values()}


def test_cnn_keeps_unknown_layers_as_opaque_modules(tmp_path):
    torch.manual_seed(0)
    m = CNN()
    g, compiled = _check(m, torch.randn(2, 1, 16, 16), [torch.randn(3, 1, 16, 16)])
    by_type = {}
    for n in g.nodes.values():
        by_type.setdefault(n.type, []).append(n)
    assert len(by_type["Conv2d"]) == 2 and len(by_type["MLP"]) == 1
    assert len(by_type["LayerNorm"]) == 1 and len(by_type["Pool"]) == 1  # blocks of their own
    assert len(by_type["Permute"]) == 2
    opaque = sorted(n.params["class_name"] for n in by_type["Module"])
    assert opaque == ["torch.nn.modules.activation.Softsign"]
    assert all(n.label for n in by_type["Module"])  # the class name shows on the canvas
    with pytest.raises(dw.GraphError, match="opaque Module"):
        dw.export(g)
    # The imported weights are copies: training the graph leaves the module alone.
    before = m.conv1.weight.detach().clone()
    next(compiled.parameters()).data.add_(1.0)
    assert torch.equal(m.conv1.weight, before)


def test_saved_opaque_node_refuses_to_compile_without_its_module(tmp_path):
    g = dw.from_module(CNN(), torch.randn(2, 1, 16, 16))
    path = g.save(tmp_path / "cnn.diffwire")
    back = dw.load(path)
    back.compile()  # this session still holds the modules
    refs = [n.params["ref"] for n in back.nodes.values() if n.type == "Module"]
    held = {r: MODULES.pop(r) for r in refs}
    try:
        with pytest.raises(dw.GraphError, match="only in the Python session"):
            back.compile()
    finally:
        MODULES.update(held)
