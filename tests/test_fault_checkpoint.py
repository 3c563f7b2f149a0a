"""kill -9 while a checkpoint is written: the file is always the old or the new one and
loads with weights_only. kill -9 of a process training from a .diffwire file: the file is
intact and the last checkpoint resumes."""

import hashlib
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

import diffwire as dw
from diffwire.train import checkpoint as ckpt

from train_util import mlp_graph

ROOT = pathlib.Path(__file__).resolve().parents[1]


def payload(version: int) -> dict:
    gen = torch.Generator().manual_seed(version)
    return {"step": version, "model": {f"w{i}": torch.randn(256, 256, generator=gen)
                                       for i in range(16)},  # ~4 MB: a write takes a while
            "document": "x" * 100_000, "history": [{"loss": float(version)}] * 1000}


def same(ck: dict, version: int, want: dict) -> bool:
    return ck["step"] == version and all(torch.equal(ck["model"][k], want["model"][k])
                                         for k in want["model"])


def kill_while_checkpointing(path: pathlib.Path, kills: int, budget_s: float,
                             writer=ckpt.save) -> tuple[int, int]:
    """(kills done, partial files seen)."""
    versions = [payload(0), payload(1)]
    writer(path, versions[0])
    rng = random.Random(0)
    start, done, partial = time.monotonic(), 0, 0
    while done < kills and time.monotonic() - start < budget_s:
        pid = os.fork()
        if pid == 0:  # child: write the two versions in turn until killed
            try:
                i = 1
                while True:
                    writer(path, versions[i % 2])
                    i += 1
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        try:
            ck = ckpt.load(path)  # weights_only=True
            v = ck["step"]
            assert v in (0, 1) and same(ck, v, versions[v])
        except (dw.FormatError, AssertionError, KeyError):
            partial += 1
        done += 1
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        leftover.unlink()  # a killed writer may leave its temporary file; never the target
    return done, partial


def test_kill_during_checkpoint_save_never_leaves_a_partial_file(tmp_path):
    done, partial = kill_while_checkpointing(tmp_path / "ck.pt", kills=12, budget_s=30)
    assert done >= 6 and partial == 0


@pytest.mark.slow
def test_kill_during_checkpoint_save_1000_times(tmp_path):
    done, partial = kill_while_checkpointing(tmp_path / "ck.pt", kills=1000, budget_s=900)
    assert done == 1000 and partial == 0


@pytest.mark.slow
def test_the_kill_loop_catches_a_non_atomic_writer(tmp_path):
    """The control: plain torch.save onto the target leaves partial files under the same loop."""

    def direct(path, data):
        torch.save({"format": ckpt.FORMAT, **data}, path)

    done, partial = kill_while_checkpointing(tmp_path / "ck.pt", kills=100, budget_s=120,
                                             writer=direct)
    assert partial > 0


TRAIN = """
import sys
sys.path.insert(0, {lib!r})
import diffwire as dw
dw.train({doc!r}, steps=1_000_000, checkpoint_every=3, out={out!r}, progress=False,
         background=False)
"""


@pytest.mark.timeout(240)
def test_kernel_death_during_training_keeps_the_file_and_the_last_checkpoint_resumes(tmp_path):
    g = mlp_graph((1, 16, 1))
    dw.training_config(g, data={"x": {"source": "generator", "name": "sine"},
                                "y": {"source": "generator", "name": "sine"}},
                       optimizer=("adam", {"lr": 1e-2}), steps=1_000_000)
    doc = g.save(tmp_path / "model.diffwire")
    digest = hashlib.sha256(doc.read_bytes()).hexdigest()
    out = tmp_path / "run"
    code = TRAIN.format(lib=str(ROOT / "kernel_lib"), doc=str(doc), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while len(list(out.glob("*/checkpoints/step_*.pt"))) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no checkpoints"
            time.sleep(0.05)
        time.sleep(random.Random(1).uniform(0, 0.2))  # die at some point mid-run
    finally:
        proc.kill()  # SIGKILL: no finally blocks, no atexit
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert hashlib.sha256(doc.read_bytes()).hexdigest() == digest  # the file is intact
    dw.load(doc).validate()
    (run_dir,) = out.iterdir()  # out/<run id>/
    last = max((run_dir / "checkpoints").glob("step_*.pt"))  # temp files start with '.'
    ck = ckpt.load(last)
    step = int(ck["step"])
    assert step > 0 and step % 3 == 0
    run = dw.resume(last, steps=step + 4, progress=False, background=False)
    assert run.state == "finished" and run.step == step + 4
    assert [r["step"] for r in run.history][-5:] == list(range(step - 1, step + 4))
    assert all(r["loss"] == r["loss"] for r in run.history)  # finite, no NaN


def test_truncated_and_corrupted_checkpoints_are_format_errors(tmp_path):
    """Before: a truncated file raised a bare OSError ("Invalid argument") from torch.load."""
    good = ckpt.save(tmp_path / "good.pt", payload(0)).read_bytes()
    rng = random.Random(3)
    cuts = sorted({0, 1, 10, 100, len(good) // 2, len(good) - 1}
                  | {rng.randrange(len(good)) for _ in range(20)})
    for i, n in enumerate(cuts):
        p = tmp_path / f"cut{i}.pt"
        p.write_bytes(good[:n])
        with pytest.raises(dw.FormatError):
            ckpt.load(p)
    for i in range(20):  # flipped bytes: refused, or (in tensor data) loaded as plain data
        data = bytearray(good)
        for _ in range(8):
            data[rng.randrange(len(data))] ^= 0xFF
        p = tmp_path / f"flip{i}.pt"
        p.write_bytes(bytes(data))
        try:
            ck = ckpt.load(p)
            assert isinstance(ck, dict)
        except dw.FormatError:
            pass
