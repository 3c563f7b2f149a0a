"""Boolean circuits: bool wires, fixed gates and the learnable lookup-table gate.

Gates run on ``torch.bool`` tensors; the RDA optimizer (``train/rda.py``) trains LUT
tables by reverse derivative ascent through :func:`z2.reverse_mode`.
"""

from __future__ import annotations

from .and_ import And
from .lut import LUT
from .not_ import Not
from .or_ import Or
from .xor import Xor
from .z2 import reverse_mode

GATES = (And, Or, Xor, Not, LUT)

__all__ = ["GATES", "LUT", "And", "Not", "Or", "Xor", "reverse_mode"]
