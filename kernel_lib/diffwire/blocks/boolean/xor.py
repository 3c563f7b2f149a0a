from .gate import Gate


class Xor(Gate):
    """a XOR b on bool wires (sum mod 2)."""

    type = "Xor"
    table = (0, 1, 1, 0)
    torch_op = "logical_xor"
