"""Built-in blocks, one small class per file, and the registry they live in."""

from . import encoder_layer  # noqa: F401  (import rules only: no block of its own)
from .activation import Activation
from .adaptive_pool import AdaptivePool
from .add import Add
from .attention import MultiheadAttention
from .base import Block, Fn
from .batch_norm import BatchNorm
from .bce import BCE
from .boolean import GATES
from .compare import Compare
from .concat import Concat
from .conditional import Conditional
from .constant import Constant
from .conv2d import Conv2d
from .cross_entropy import CrossEntropy
from .dataflow_matrix import DataflowMatrix
from .div import Div
from .dropout import Dropout
from .embedding import Embedding
from .expression import Expression
from .flatten import Flatten
from .gradient import Gradient
from .group import Group
from .group_norm import GroupNorm
from .huber import Huber
from .index import Index
from .input import Input
from .l1 import L1
from .layer_norm import LayerNorm
from .linear import Linear
from .loop import Loop
from .map import Map
from .matmul import MatMul
from .mean import Mean
from .mlp import MLP
from .module import Module
from .mse import MSE
from .mul import Mul
from .neg import Neg
from .output import Output
from .parameter import Parameter
from .permute import Permute
from .pool import Pool
from .pow import Pow
from .registry import BLOCKS, block, catalog, get_block, on_change, register, unregister
from .reshape import Reshape
from .softmax import Softmax
from .split import Split
from .sub import Sub
from .sum import Sum
from .transpose import Transpose

BUILTINS = (
    Input, Output, Constant, Parameter, Linear, MLP, Activation, MatMul, Add, Sub, Mul, Div,
    Neg, Pow, Concat, Split, Index, Reshape, Sum, Mean, Expression, Compare, MSE, L1, Huber,
    DataflowMatrix,
    CrossEntropy, BCE, Loop, Conditional, Map, Conv2d, Group, Pool, AdaptivePool, BatchNorm,
    LayerNorm, GroupNorm, Dropout, Flatten, Permute, Transpose, Embedding, Softmax,
    MultiheadAttention, Module, Gradient,
) + GATES

for _cls in BUILTINS:
    register(_cls)

__all__ = ["BLOCKS", "BUILTINS", "Block", "Fn", "block", "catalog", "get_block", "on_change",
           "register", "unregister"] + [c.__name__ for c in BUILTINS]
