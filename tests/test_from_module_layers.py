"""dw.from_module on models built from torch's common layers: a LeNet-5, a residual MLP
with LayerNorm and Dropout, a transformer encoder layer. Each maps to blocks with no
opaque Module node, and the compiled graph and its exported code match the original
(float64, outputs and gradients), train/eval modes included."""

import torch
import torch.nn.functional as F
from torch import nn

import diffwire as dw

from export_util import assert_same, load_source


class LeNet5(nn.Module):
    """LeCun et al. 1998, on 28x28 inputs padded to 32x32 as usual, with a BatchNorm."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.MaxPool2d(2, 2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
            nn.Linear(84, 10))

    def forward(self, x):
        return F.log_softmax(self.classifier(self.features(x)), dim=1)


class ResidualMLP(nn.Module):
    def __init__(self, width=8, hidden=16, depth=2):
        super().__init__()
        self.inp = nn.Linear(4, width)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, hidden), nn.GELU(),
                          nn.Dropout(0.2), nn.Linear(hidden, width))
            for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, 3)

    def forward(self, x):
        h = self.inp(x)
        for layer in self.layers:
            h = h + layer(h)
        return self.out(F.dropout(self.norm(h), 0.1, self.training))


def encoder_layer():
    return nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)


class TinyTransformer(nn.Module):
    """Token ids -> embedding -> a two-layer encoder -> mean over positions -> classes."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 16)
        self.encoder = nn.TransformerEncoder(encoder_layer(), num_layers=2,
                                             norm=nn.LayerNorm(16), enable_nested_tensor=False)
        self.head = nn.Linear(16, 5)

    def forward(self, tokens):
        return F.softmax(self.head(self.encoder(self.embed(tokens)).mean(1)), dim=-1)


class Zoo(nn.Module):
    """The remaining layers and functions: GroupNorm, BatchNorm1d, 1-D and adaptive pools,
    permute, transpose, flatten, softmax."""

    def __init__(self):
        super().__init__()
        self.gn = nn.GroupNorm(2, 4)
        self.bn = nn.BatchNorm1d(4, momentum=None)
        self.pool = nn.AdaptiveMaxPool1d(3)

    def forward(self, x):  # x: [B, 6, 4]
        h = self.gn(x.permute(0, 2, 1))  # [B, 4, 6]
        h = F.max_pool1d(self.bn(h), 2, stride=1) + F.avg_pool1d(h, 2, 1)  # [B, 4, 5]
        h = F.adaptive_avg_pool2d(h.reshape(h.shape[0], 1, 4, 5), (2, 3))  # [B, 1, 2, 3]
        h = torch.flatten(h, 1).transpose(0, 1)  # [6, B]
        return torch.log_softmax(self.pool(h), dim=0)  # [6, 3]


def _import(m, example):
    m = m.double()
    g = dw.from_module(m, example)
    types = {n.type for n in g.nodes.values()}
    assert "Module" not in types, [n.label for n in g.nodes.values() if n.type == "Module"]
    compiled = g.compile(dtype=torch.float64)
    return g, compiled, types


def _export(g, compiled, tmp_path):
    src = dw.export(g)
    exported = load_source(src, tmp_path).Model().double()
    assert sorted(exported.state_dict()) == sorted(compiled.state_dict())
    exported.load_state_dict(compiled.state_dict())
    return exported


def _same(a: nn.Module, b: nn.Module, xs, seed=0):
    """Outputs and input gradients agree (float64, 1e-6); the RNG is reset before each
    call, so dropout draws the same masks in both."""
    outs, grads = [], []
    for m in (a, b):
        inputs = [x.clone().requires_grad_(x.is_floating_point()) for x in xs]
        torch.manual_seed(seed)
        y = m(*inputs)
        y = next(iter(y.values())) if isinstance(y, dict) else y
        (y * torch.linspace(0.5, 1.5, y.numel(), dtype=y.dtype).reshape(y.shape)).sum().backward()
        outs.append(y.detach())
        grads.append([x.grad for x in inputs if x.is_floating_point()])
    torch.testing.assert_close(outs[0], outs[1], atol=1e-6, rtol=1e-6)
    for ga, gb in zip(*grads):
        torch.testing.assert_close(ga, gb, atol=1e-6, rtol=1e-6)
    return outs[0]


def test_lenet5_maps_to_blocks_and_exports(tmp_path):
    torch.manual_seed(0)
    m = LeNet5()
    g, compiled, types = _import(m, torch.randn(2, 1, 28, 28, dtype=torch.float64))
    assert {"Conv2d", "BatchNorm", "Pool", "Flatten", "MLP", "Softmax"} <= types
    pools = sorted((n.params["mode"], n.params["kernel_size"], n.params["stride"])
                   for n in g.nodes.values() if n.type == "Pool")
    assert pools == [("avg", 2, 2), ("max", 2, 2)]
    x = torch.randn(5, 1, 28, 28, dtype=torch.float64)
    for mode in ("train", "eval"):  # batch statistics, then the running ones
        for model in (m, compiled):
            getattr(model, mode)()
        _same(m, compiled, [x])
    bn = next(n.id for n in g.nodes.values() if n.type == "BatchNorm")
    running = compiled.state_dict()[f"blocks.{bn}.running_mean"]
    torch.testing.assert_close(running, m.features[1].running_mean)
    assert compiled.state_dict()[f"blocks.{bn}.num_batches_tracked"] == 1
    exported = _export(g, compiled, tmp_path)
    for model in (m, compiled, exported):
        model.eval()
    _same(m, exported, [x])
    assert_same(compiled, exported, [x.requires_grad_(True)])


def test_residual_mlp_with_layernorm_and_dropout(tmp_path):
    torch.manual_seed(1)
    m = ResidualMLP()
    g, compiled, types = _import(m, torch.randn(3, 4, dtype=torch.float64))
    assert {"LayerNorm", "Dropout", "Add", "Linear", "Activation"} <= types
    assert sum(n.type == "Dropout" for n in g.nodes.values()) == 3
    x = torch.randn(6, 4, dtype=torch.float64)
    exported = _export(g, compiled, tmp_path)
    # In training, dropout draws the same masks from the same seed in all three...
    for model in (m, compiled, exported):
        model.train()
    y = _same(m, compiled, [x])
    _same(m, exported, [x])
    torch.manual_seed(1)
    assert not torch.equal(compiled(x), y)  # ...and other masks from another seed
    # ...and in eval mode it is the identity: no randomness left.
    for model in (m, compiled, exported):
        model.eval()
    y = _same(m, compiled, [x], seed=0)
    assert torch.equal(compiled(x), y)
    _same(m, exported, [x])
    assert_same(compiled, exported, [x.requires_grad_(True)])


def test_transformer_encoder_layer_maps_to_blocks(tmp_path):
    torch.manual_seed(2)
    m = encoder_layer().eval()
    g, compiled, types = _import(m, torch.randn(2, 5, 16, dtype=torch.float64))
    counts = {t: sum(n.type == t for n in g.nodes.values()) for t in types}
    assert counts["MultiheadAttention"] == 1 and counts["LayerNorm"] == 2
    assert counts["Dropout"] == 3 and counts["Add"] == 2
    compiled.eval()
    x = torch.randn(3, 7, 16, dtype=torch.float64)
    _same(m, compiled, [x])
    exported = _export(g, compiled, tmp_path).eval()
    _same(m, exported, [x])
    assert_same(compiled, exported, [x.requires_grad_(True)])
    assert set(compiled.state_dict()) >= {
        f"blocks.{n.id}.in_proj_weight" for n in g.nodes.values()
        if n.type == "MultiheadAttention"}


def test_transformer_encoder_with_embedding_and_softmax(tmp_path):
    torch.manual_seed(3)
    m = TinyTransformer().eval()
    tokens = torch.randint(0, 20, (2, 6))
    g, compiled, types = _import(m, tokens)
    assert {"Embedding", "MultiheadAttention", "LayerNorm", "Mean", "Softmax"} <= types
    assert sum(n.type == "MultiheadAttention" for n in g.nodes.values()) == 2
    compiled.eval()
    other = torch.randint(0, 20, (4, 9))
    _same(m, compiled, [other])
    exported = _export(g, compiled, tmp_path).eval()
    _same(m, exported, [other])


def test_more_layers_and_functions(tmp_path):
    torch.manual_seed(4)
    m = Zoo()
    g, compiled, types = _import(m, torch.randn(3, 6, 4, dtype=torch.float64))
    assert {"GroupNorm", "BatchNorm", "Pool", "AdaptivePool", "Permute", "Transpose",
            "Flatten", "Softmax"} <= types
    x = torch.randn(5, 6, 4, dtype=torch.float64)
    _same(m, compiled, [x])
    exported = _export(g, compiled, tmp_path)
    _same(m.eval(), exported.eval(), [x])


def test_unsupported_options_stay_opaque():
    """A layer option no block has (a dilated pool) keeps the layer as an opaque node
    rather than importing something that computes otherwise."""
    g = dw.from_module(nn.Sequential(nn.MaxPool2d(3, dilation=2)), torch.randn(1, 1, 9, 9))
    assert [n.type for n in g.nodes.values() if n.type not in ("Input", "Output")] == ["Module"]

