"""Checkpoints: atomic files, exact resumption, and no pickle on load."""

import os
import pickle

import pytest
import torch

import diffwire as dw

from train_util import sine_data, two_mlp_graph


def test_resume_reproduces_the_uninterrupted_loss_curve_exactly(tmp_path):
    data = sine_data()
    kw = dict(data=data, steps=20, batch_size=8, seed=3, progress=False, background=False)
    full = dw.train(two_mlp_graph(), **kw)
    first = dw.train(two_mlp_graph(), out=tmp_path / "a", checkpoint_every=10,
                     **{**kw, "steps": 10})
    ck = first.path / "checkpoints" / "step_0000010.pt"
    assert first.path.parent == tmp_path / "a"
    assert ck.is_file()
    resumed = dw.resume(ck, data=data, steps=20, progress=False, background=False)
    assert resumed.state == "finished" and resumed.step == 20
    assert [r["loss"] for r in first.history] == [r["loss"] for r in full.history[:10]]
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in full.history]
    for k, v in full.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[k], v)


def test_checkpoints_are_plain_data_and_written_atomically(tmp_path):
    run = dw.train(two_mlp_graph(), data=sine_data(), steps=6, checkpoint_every=3,
                   out=tmp_path, progress=False, background=False)
    files = sorted(p.name for p in (run.path / "checkpoints").iterdir())
    assert files == ["step_0000003.pt", "step_0000006.pt"]  # no temp files left behind
    ck = torch.load(run.path / "checkpoints" / files[-1], weights_only=True)
    assert ck["step"] == 6 and isinstance(ck["document"], str)
    g = dw.loads(ck["document"])
    assert g.training["steps"] == 6 and "optimizer" in g.training
    assert isinstance(ck["rng"]["torch"], torch.Tensor)
    assert set(ck["model"]) == set(run.model.state_dict())
    assert (run.path / "weights.pt").is_file() and (run.path / "metrics.csv").is_file()


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_with_a_pickle_payload_is_refused(tmp_path):
    run = dw.train(two_mlp_graph(), data=sine_data(), steps=2, out=tmp_path, progress=False,
                   background=False)
    good = run.last_checkpoint
    ck = torch.load(good, weights_only=True)
    marker = tmp_path / "pwned"
    ck["document"] = _Payload(marker)
    bad = tmp_path / "evil.pt"
    torch.save(ck, bad)
    with pytest.raises(dw.FormatError, match="refusing to load evil.pt"):
        dw.resume(bad, data=sine_data(), progress=False)
    assert not marker.exists()
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(dw.FormatError):
        dw.resume(raw, progress=False)
    assert not marker.exists()


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    p = tmp_path / "w.pt"
    torch.save({"a": torch.zeros(2)}, p)
    with pytest.raises(dw.FormatError, match="not a diffwire checkpoint"):
        dw.resume(p)


def test_stop_writes_a_checkpoint_that_resumes(tmp_path):
    from train_util import wait_for

    data = sine_data()
    run = dw.train(two_mlp_graph(), data=data, steps=10**7, out=tmp_path, progress=False)
    assert wait_for(lambda: run.step >= 3)
    run.stop()
    assert run.state == "stopped"
    ck = torch.load(run.last_checkpoint, weights_only=True)
    assert ck["step"] == run.step and ck["run"] == run.path.name  # history: in the folder
    again = dw.resume(run.last_checkpoint, data=data, steps=run.step + 2, progress=False,
                      background=False)
    assert again.state == "finished" and again.step == run.step + 2
    assert [r["loss"] for r in again.history[: run.step]] == [r["loss"] for r in run.history]
