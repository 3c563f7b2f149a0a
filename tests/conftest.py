"""Shared pytest set-up: import the package from this checkout's kernel_lib."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "kernel_lib"))
