from ...ports import Port
from .gate import Gate


class Not(Gate):
    """NOT x on a bool wire."""

    type = "Not"
    inputs = (Port("x", "bool"),)
    example_inputs = {"x": (4, 3)}
    table = (1, 0)
    torch_op = "logical_not"
