"""Shared pytest set-up: import the package from this checkout's kernel_lib."""

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "kernel_lib"))


@pytest.fixture
def detach_block():
    """The `TestDetach` block (helpers.Detach) registered for one test."""
    import diffwire as dw

    from helpers import Detach

    dw.register(Detach)
    yield Detach
    dw.unregister(Detach.type)

