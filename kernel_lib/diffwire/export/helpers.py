"""Source of the small definitions an exported file may need, emitted only when used."""

import inspect
from collections.abc import Callable

from ..runtime import activations


def _runtime(cls) -> Callable[[], str]:
    """The runtime's own definition, verbatim, read when a file is written."""
    return lambda: inspect.getsource(cls)


SLOTS = '''
class Slots(nn.Module):
    """Submodules under fixed names, laid out like diffwire's compiled graph so that its
    state_dict loads without renaming: nn.ModuleDict, but a node may be called `train`
    or `keys` (reached as slots["train"])."""

    def __init__(self, **members):
        super().__init__()
        for name, value in members.items():
            self[name] = value

    def __setitem__(self, name, value):
        if isinstance(value, nn.Parameter):
            self._parameters[name] = value
        elif isinstance(value, torch.Tensor):
            self._buffers[name] = value
        else:
            self._modules[name] = value

    def __getitem__(self, name):
        for store in (self._modules, self._parameters, self._buffers):
            if name in store:
                return store[name]
        raise KeyError(name)
'''

CONSTANT = '''
class Constant(nn.Module):
    """A fixed tensor, saved with the weights but not trained (a buffer)."""

    def __init__(self, value):
        super().__init__()
        self.register_buffer("value", value)
'''

STACK = '''
def _stack_components(parts):
    """Stack an expression's comma-separated components along a new last dimension."""
    ref = next((p for p in parts if isinstance(p, torch.Tensor)), None)
    parts = [
        p
        if isinstance(p, torch.Tensor)
        else torch.full_like(ref, p)
        if ref is not None
        else torch.tensor(p)
        for p in parts
    ]
    return torch.stack(torch.broadcast_tensors(*parts), dim=-1)
'''

NORMAL_INIT = '''
def _normal_init(module, std):
    """Weights from N(0, std) and zero biases (an MLP's init_std)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module
'''

#: name -> source, in the order they are written to the file.
#: A callable is the runtime's code (:mod:`diffwire.runtime`), read when a file is written.
HELPERS: dict[str, str | Callable[[], str]] = {
    "Slots": SLOTS,
    "Constant": CONSTANT,
    "Sin": _runtime(activations.Sin),
    "Exp": _runtime(activations.Exp),
    "RBF": _runtime(activations.RBF),
    "_stack_components": STACK,
    "_normal_init": NORMAL_INIT,
}
