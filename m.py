"""m.diffwire as plain PyTorch, exported by diffwire.

Plain PyTorch: runs without diffwire.
Graph: m.diffwire.json (sha256 72e47667b809e17b), as dw.from_python reads it back.
Training: python m_train.py (or under torchrun)

    model = Model()
    model.load_state_dict(torch.load("weights.pt", weights_only=True))
"""

from torch import nn


class Model(nn.Module):
    """The exported graph: call it with its inputs in order."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleDict()
        self.blocks.mlp = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))

    def forward(self, x):
        mlp = self.blocks.mlp(x)  # MLP
        return mlp
