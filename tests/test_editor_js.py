"""The editor's TypeScript: strict type check and the vitest unit tests (graph edits, undo
stack, param forms, metric batching), run from pytest so one command covers them."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

EXT = pathlib.Path(__file__).resolve().parents[1] / "extension"


@pytest.fixture(scope="module")
def node_modules():
    assert shutil.which("npx") is not None, "node/npx is not installed"
    if not (EXT / "node_modules" / ".bin" / "vitest").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=EXT,
                       check=True, timeout=600)
    return EXT / "node_modules"


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=EXT, capture_output=True, text=True, timeout=300)


def test_vitest_unit_tests_pass(node_modules):
    r = _run(["npx", "--no-install", "vitest", "run"])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "passed" in r.stdout


def test_typescript_is_strict_and_clean(node_modules):
    r = _run(["npx", "--no-install", "tsc", "--noEmit", "-p", "."])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
