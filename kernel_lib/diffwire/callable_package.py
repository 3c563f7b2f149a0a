"""A package that is also its main function: ``dw.train(...)``, ``dw.export(...)``,
``dw.sweep(...)``.

A plain function of the package's name would shadow the package (and break
``import diffwire.train.optim``), so the package module itself is made callable."""

import inspect
import sys
import types
from collections.abc import Callable


def make_callable(package: str, fn: Callable) -> None:
    """Make the module named `package` call `fn`; its signature and docstring become
    `fn`'s, so Shift-Tab and ``help()`` on ``dw.<package>`` show the function first."""

    class CallablePackage(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return fn(*args, **kwargs)

    module = sys.modules[package]
    module.__class__ = CallablePackage
    module.__signature__ = inspect.signature(fn)
    module.__doc__ = f"{fn.__doc__}\n{module.__doc__}"
