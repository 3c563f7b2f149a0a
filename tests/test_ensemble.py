"""Ensembles: N members trained as one batched model match each member trained alone.

Everything runs in float64, so agreement to 1e-6 is a real check (the batched and the
eager paths differ only in the order of floating-point operations)."""

import pathlib

import pytest
import torch

import diffwire as dw
from diffwire.train.batched import BatchedMembers
from diffwire.train.losses import LossFn, normalize_loss

from export_util import load_source

STEPS = 5


@pytest.fixture(autouse=True)
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # weights are built in the default dtype
    yield
    torch.set_default_dtype(old)


def lv_graph() -> dw.Graph:
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    for name in ("y0", "t"):
        g.node(name).params["dtype"] = "float64"
    return g


def lv_data() -> dict:
    tr = dw.ode.lotka_volterra(n=11, t_end=1.0)
    return {k: {"source": "kernel", "name": k, "value": getattr(tr, k).double(), "batch": False}
            for k in ("y0", "t", "y")}


def train(g, **kw):
    if "schedule" not in kw:
        kw.setdefault("optimizer", ("adam", {"lr": 0.01}))
    return dw.train(g, data=lv_data(), loss="mse", steps=STEPS, background=False, out=False,
                    progress=False, **kw)


def rows(run, member):
    return [r for r in run.history[:] if r["member"] == member]


def assert_close(a, b, what):
    assert abs(a - b) <= 1e-6 * max(1.0, abs(b)), f"{what}: {a} vs {b}"


def assert_same_weights(member_sd, alone_sd):
    for k, v in alone_sd.items():
        assert (member_sd[k] - v).abs().max().item() <= 1e-6, k


def u_module(model):
    """The MLP U inside the ODESolve's field body."""
    return model.blocks["solve"].field.body.blocks["U"]


def mask_hook(mask):
    """The eager reference for a mask: a forward hook multiplying U's output."""
    m = torch.tensor(mask, dtype=torch.float64)
    return lambda module, args, out: out * m


def test_members_match_each_member_trained_alone():
    ens = dw.Ensemble(seeds=[3, 4, 5], lr=[0.01, 0.03, 0.1], grad_clip=[0.0, 0.0, 5.0])
    run = train(lv_graph(), ensemble=ens)
    assert run.state == "finished" and run.batched, run.fallback
    assert len(run.history) == 3 * STEPS
    for i, (seed, lr, clip) in enumerate([(3, 0.01, 0.0), (4, 0.03, 0.0), (5, 0.1, 5.0)]):
        alone = train(lv_graph(), seed=seed, optimizer=("adam", {"lr": lr, "grad_clip": clip}))
        mine = rows(run, i)
        assert [r["step"] for r in mine] == list(range(STEPS))
        for r, ref in zip(mine, alone.history[:]):
            assert r["lr"] == ref["lr"]
            assert_close(r["loss"], ref["loss"], f"member {i} loss at step {r['step']}")
            assert_close(r["grad_norm"], ref["grad_norm"], f"member {i} gradient norm")
        assert_same_weights(run.member(i).state_dict(), alone.model.state_dict())
    assert run.loss == min(run.member_losses)


def test_batched_gradients_match_eager_gradients():
    g = lv_graph()
    masks = {"U": [[1, 1], [0, 1], [1, 0]]}
    ens = dw.Ensemble(seeds=[0, 1, 2], masks=masks)
    members = [m.compile(seed=s) for m, s in zip(ens.member_graphs(g), [0, 1, 2])]
    batch = {k: b["value"] for k, b in lv_data().items()}
    lf = LossFn(normalize_loss(g, "mse", batch), g)
    bm = BatchedMembers(members)
    bm.losses(lf, batch).sum().backward()
    assert bm.vmapped, bm.reason
    for i, mask in enumerate(masks["U"]):  # the eager reference: plain graph, a hook masks U
        alone = g.compile(seed=i)
        u_module(alone).register_forward_hook(mask_hook(mask))
        lf(alone, batch).backward()
        mine = dict(members[i].named_parameters())
        for k, p in alone.named_parameters():
            assert (mine[k].grad - p.grad).abs().max().item() <= 1e-6, k
        if mask == [0, 1]:  # a masked-out component really sends no gradient to its row
            assert mine["blocks.solve.field.body.blocks.U.6.weight"].grad[0].abs().max() == 0


def test_masked_members_match_training_alone_with_the_mask():
    masks = {"solve/field/U": [[1, 1], [1, 0], [0, 0]]}
    run = train(lv_graph(), ensemble={"seeds": [0, 0, 0], "masks": masks})
    assert run.batched, run.fallback
    for i, mask in enumerate(masks["solve/field/U"]):
        alone = train(lv_graph(), seed=0, start=False)
        u_module(alone.model).register_forward_hook(mask_hook(mask))
        alone.start(background=False)
        for r, ref in zip(rows(run, i), alone.history[:]):
            assert_close(r["loss"], ref["loss"], f"masked member {i} loss")
            assert_close(r["grad_norm"], ref["grad_norm"], f"masked member {i} gradient norm")
        assert_same_weights(run.member(i).state_dict(), alone.model.state_dict())
    # the all-zero member's U never learns: only the known terms are in its field
    first = run.member(2).state_dict()
    assert all((first[k] == v).all() for k, v in lv_graph().compile(seed=0).state_dict().items())


def test_lbfgs_phase_runs_member_by_member():
    schedule = [{"optimizer": ("adam", {"lr": 0.05}), "steps": 2},
                {"optimizer": ("lbfgs", {"lr": 1.0, "max_iter": 4}), "steps": 2}]
    run = train(lv_graph(), schedule=schedule, ensemble=dw.Ensemble(seeds=[1, 2]))
    for i, seed in enumerate([1, 2]):
        alone = train(lv_graph(), seed=seed, schedule=schedule)
        for r, ref in zip(rows(run, i), alone.history[:]):
            assert r["phase"] == ref["phase"]
            assert_close(r["loss"], ref["loss"], f"member {i} loss, phase {r['phase']}")
        assert_same_weights(run.member(i).state_dict(), alone.model.state_dict())


class _ReadsBack(torch.nn.Module):
    def forward(self, x):
        if not x.is_meta and float(x.detach().abs().sum()) > 1e12:  # vmap refuses to read back
            raise ValueError("too large")
        return x


@pytest.fixture
def reads_back():
    @dw.block
    class ReadsBack(dw.Block):
        """Passes x through after reading its size back to Python (a test block)."""

        type = "TestReadsBack"
        inputs = (dw.Port("x"),)
        outputs = (dw.Port("out"),)
        example_inputs = {"x": (2, 2)}

        @classmethod
        def build(cls, node, ctx):
            return _ReadsBack()

    yield
    dw.blocks.registry.unregister("TestReadsBack")


def test_graph_vmap_cannot_run_falls_back_member_by_member(reads_back):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1], dtype="float64")
    h = g.add("MLP", widths=[1, 8, 1])
    r = g.add("TestReadsBack")
    g.connect(x, h)
    g.connect(h, r)
    g.add_output(r, name="y")
    X = torch.linspace(-2, 2, 32).unsqueeze(1)
    data = {"x": X, "y": torch.sin(X)}
    kw = dict(data=data, loss="mse", steps=STEPS, background=False, out=False, progress=False)
    run = dw.train(g, optimizer=("sgd", {"lr": 0.1}), ensemble=dw.Ensemble(seeds=[0, 1]), **kw)
    assert run.state == "finished"
    assert not run.batched and "RuntimeError" in run.fallback
    assert [e for e in run.events if e["type"] == "ensemble_fallback"][0]["reason"] == run.fallback
    for i in range(2):
        alone = dw.train(g, seed=i, optimizer=("sgd", {"lr": 0.1}), **kw)
        for r, ref in zip(rows(run, i), alone.history[:]):
            assert_close(r["loss"], ref["loss"], f"member {i} loss (fallback)")
        assert_same_weights(run.member(i).state_dict(), alone.model.state_dict())


def test_members_keep_their_own_files_and_export(tmp_path):
    masks = {"U": [[1, 0], [0, 1]]}
    run = dw.train(lv_graph(), data=lv_data(), loss="mse", steps=3, progress=False,
                   background=False, out=tmp_path / "lv.runs", checkpoint_every=2,
                   optimizer=("adam", {"lr": 0.02}),
                   ensemble=dw.Ensemble(seeds=[7, 8], masks=masks, lr=[0.02, 0.05]))
    folder = run.path / "members" / "001"
    weights = torch.load(folder / "weights.pt", weights_only=True)
    member = run.member(1)
    assert weights.keys() == member.state_dict().keys()
    g1 = dw.load(folder / "model.diffwire")
    assert g1.training["seed"] == 8 and g1.training["schedule"][0]["optimizer"]["lr"] == 0.05
    assert g1.nodes["solve"].body["field"].nodes["U_mask"].params["value"] == [0.0, 1.0]
    ck = torch.load(sorted((run.path / "checkpoints").glob("*.pt"))[-1], weights_only=True)
    assert any(k.startswith("members.1.blocks.") for k in ck["model"])
    # the member exports as plain PyTorch with its mask, and its weights load by name
    exported = load_source(dw.export(member.graph), tmp_path).Model().double()
    exported.load_state_dict(weights)
    batch = {k: b["value"] for k, b in lv_data().items()}
    with torch.no_grad():
        want = member(y0=batch["y0"], t=batch["t"])
        got = exported(batch["y0"], batch["t"])
    assert (got - want).abs().max().item() <= 1e-9
    # the kept run reads back: every member, and each one alone
    kept = dw.load_run(run.path)
    assert len(kept.model.members) == 2
    assert_same_weights(kept.member(1).state_dict(), member.state_dict())
    assert_same_weights(kept.model.members[0].state_dict(), run.member(0).state_dict())
    # and the member retrains alone from its own document
    again = dw.train(g1, data=lv_data(), steps=1, background=False, out=False, progress=False)
    assert again.state == "finished"


@pytest.mark.parametrize("spec, port, found", [
    (dict(seeds=[0, 1], lr=[0.1]), "ensemble", "lists of one length"),
    (dict(masks={"nope": [[1, 1]]}), "ensemble.masks.nope", "no node 'nope'"),
    (dict(masks={"U": [[1, 2]]}), "ensemble.masks.U", "0/1"),
    (dict(history_size=[1, 2]), "ensemble.history_size", "cannot differ"),
    (dict(lr=[0.1, -1.0]), "ensemble.lr", "member 1"),
    (dict(), "ensemble", "what differs"),
    (dict(seeds=[0, "1"]), "ensemble.seeds", "non-negative integers"),
    (dict(seeds=0), "ensemble.seeds", "member count"),
])
def test_bad_ensembles_are_errors_naming_the_field(spec, port, found):
    with pytest.raises(dw.ParamError) as info:
        train(lv_graph(), ensemble=spec)
    assert info.value.port == port and found in str(info.value)



def test_a_document_with_an_ensemble_trains_as_one_and_resumes(tmp_path):
    g = dw.ode.lotka_volterra_ude(method="builtin_rk4", step_size=0.1)
    gen = {"source": "generator", "name": "lotka_volterra", "kwargs": {"n": 11, "t_end": 1.0},
           "batch": False}
    dw.training_config(g, data={k: dict(gen) for k in ("y0", "t", "y")}, loss="mse",
                       optimizer=("adam", {"lr": 0.02}), steps=3, checkpoint_every=2,
                       ensemble={"seeds": 3, "lr": [0.01, 0.02, 0.03]})
    path = g.save(tmp_path / "lv.diffwire")
    assert dw.load(path).training["ensemble"] == {"seeds": 3, "lr": [0.01, 0.02, 0.03]}
    run = dw.train(path, background=False, progress=False)
    assert isinstance(run, dw.EnsembleRun) and run.member_seeds == [0, 1, 2]
    assert [r["lr"] for r in run.history[:3]] == [0.01, 0.02, 0.03]
    # a kept checkpoint resumes as the same ensemble
    ck = run.path / "checkpoints" / "step_0000002.pt"
    again = dw.resume(ck, steps=3, background=False, progress=False)
    assert isinstance(again, dw.EnsembleRun)
    for i in range(3):
        assert_same_weights(again.member(i).state_dict(), run.member(i).state_dict())
    # a member's own document trains it alone
    member = dw.load(run.path / "members" / "002" / "model.diffwire")
    assert "ensemble" not in member.training
    assert type(dw.train(member, steps=1, background=False, out=False,
                         progress=False)) is dw.Run


def test_a_bad_ensemble_in_a_document_is_reported_in_place():
    g = lv_graph()
    g.training = {"ensemble": {"lr": [0.1, -2.0], "nope": 1}}
    places = {e.port for e in dw.validate_training(g)}
    assert {"training.ensemble.lr.1", "training.ensemble.nope"} <= places, places


def test_live_plots_get_one_point_per_step_and_callbacks_every_member():
    class Listen(dw.Callback):
        def __init__(self):
            self.rows, self.points = [], []

        def on_step_end(self, run, record):
            self.rows.append(record)

        def on_metrics(self, run, records):
            self.points.extend(records)

    cb = Listen()
    run = train(lv_graph(), callbacks=[cb], ensemble=dw.Ensemble(seeds=[0, 1, 2]))
    assert len(cb.rows) == 3 * STEPS and [r["member"] for r in cb.rows[:3]] == [0, 1, 2]
    assert [p["step"] for p in cb.points] == list(range(STEPS))
    for p in cb.points:
        losses = [r["loss"] for r in run.history[:] if r["step"] == p["step"]]
        assert p["loss"] == min(losses) and p["loss_max"] == max(losses)
        assert losses[p["best_member"]] == p["loss"]


def test_validate_finds_masks_that_name_no_node_or_do_not_fit():
    g = dw.load(pathlib.Path(__file__).parents[1] / "demos" / "lotka_volterra_ude.diffwire")
    g.training["ensemble"] = {"masks": {"nope": [1, 0]}}
    errs = [e for e in dw.validate_training(g) if e.severity == "error"]
    assert [e.port for e in errs] == ["training.ensemble.masks.nope"]
    assert "solve/field/U" in str(errs[0])  # the nodes it could have named
    g.training["ensemble"] = {"masks": {"U": [[1, 0, 1], [1, 1, 1]]}}
    errs = [e for e in dw.validate_training(g) if e.severity == "error"]
    assert errs and "U_masked" in str(errs[0])
    g.training["ensemble"] = {"masks": {"U": [[1, 0], [0, 1]]}}
    assert not [e for e in dw.validate_training(g) if e.severity == "error"]


def test_an_error_of_the_model_is_raised_located_and_batching_stays_on():
    g = lv_graph()
    bm = BatchedMembers([g.compile(seed=s) for s in (0, 1)])
    batch = {k: b["value"] for k, b in lv_data().items()}
    lf = LossFn(normalize_loss(g, "mse", batch), g)
    bad = {**batch, "y0": batch["y0"][:1]}  # a state of the wrong width
    with pytest.raises(dw.GraphError) as info:
        bm.losses(lf, bad)
    assert info.value.node is not None
    assert bm.vmapped  # not vmap's fault: the next step is batched again
    bm.losses(lf, batch)
    assert bm.vmapped


def test_minibatches_of_a_plain_network_match_training_alone():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2], dtype="float64")
    h = g.add("MLP", widths=[2, 16, 16, 1], activation="tanh")
    g.connect(x, h)
    g.add_output(h, name="y")
    X = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    data = {"x": X, "y": X[:, :1] * X[:, 1:]}
    kw = dict(data=data, loss="mse", steps=8, batch_size=16, background=False, out=False,
              progress=False)
    run = dw.train(g, optimizer=("sgd", {"lr": 0.1, "momentum": 0.9}),
                   ensemble=dw.Ensemble(lr=[0.05, 0.2], momentum=[0.9, 0.5]), **kw)
    assert run.batched, run.fallback
    for i, (lr, mom) in enumerate([(0.05, 0.9), (0.2, 0.5)]):
        alone = dw.train(g, optimizer=("sgd", {"lr": lr, "momentum": mom}), **kw)
        for r, ref in zip(rows(run, i), alone.history[:]):
            assert_close(r["loss"], ref["loss"], f"member {i} loss at step {r['step']}")
        assert_same_weights(run.member(i).state_dict(), alone.model.state_dict())


def test_an_update_chain_clips_each_member_by_its_own_norm():
    chain = ("chain", {"lr": 0.02, "stages": "clip_by_global_norm 0.05\nscale_by_adam\n"
                                             "scale_by_learning_rate"})
    run = train(lv_graph(), optimizer=chain, ensemble=dw.Ensemble(seeds=[1, 2]))
    for i, seed in enumerate([1, 2]):
        alone = train(lv_graph(), seed=seed, optimizer=chain)
        assert alone.history[0]["grad_norm"] > 0.05  # the clip acts
        for r, ref in zip(rows(run, i), alone.history[:]):
            assert_close(r["loss"], ref["loss"], f"member {i} loss")
        assert_same_weights(run.member(i).state_dict(), alone.model.state_dict())
