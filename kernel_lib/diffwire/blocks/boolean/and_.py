from .gate import Gate


class And(Gate):
    """a AND b on bool wires."""

    type = "And"
    table = (0, 0, 0, 1)
    torch_op = "logical_and"
