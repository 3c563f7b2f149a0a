import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = pathlib.Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "kernel_lib", "tests", "bench", "demos"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
