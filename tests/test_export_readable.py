"""The exported model reads like hand-written PyTorch: the quickstart's module is short, has
no custom container and no document string; the document sits beside it, checked."""

import ast
import inspect
import re

import pytest
import torch

import diffwire as dw
from diffwire.runtime import batches, optimizers
from diffwire.runtime import data as runtime_data
from diffwire.train import optim

from export_util import ROOT, load_source, load_training, run_clean


def test_quickstart_model_file_is_short_plain_pytorch(tmp_path):
    doc = ROOT / "demos" / "quickstart.diffwire"
    g = dw.load(doc)
    assert [n.type for n in g.nodes.values() if n.block.compiled] == ["Input", "MLP", "Output"]
    dw.export(g, tmp_path / "quickstart.py")
    text = (tmp_path / "quickstart.py").read_text()
    assert len(text.splitlines()) <= 60, text
    assert not re.search(r"\{\s*\"", text.split('"""', 2)[2]), "a JSON blob in the code"
    assert max(len(line) for line in text.splitlines()) < 120
    # the docstring names the real file and the side document, with its hash
    tree = ast.parse(text)
    doc_text = ast.get_docstring(tree)
    assert doc_text.startswith("quickstart.diffwire as plain PyTorch")
    assert re.search(r"Graph: quickstart\.diffwire\.json \(sha256 [0-9a-f]{16}\)", doc_text)
    assert "python quickstart_train.py" in doc_text
    # one class, torch's own containers, the node's name as its attribute, one line per node
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes == ["Model"]
    assert "self.blocks = nn.ModuleDict()" in text and "self.blocks.mlp = nn.Sequential(" in text
    forward = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                   and n.name == "forward")
    assert [ast.unparse(s) for s in forward.body] == ["mlp = self.blocks.mlp(x)", "return mlp"]
    assert "# MLP 'f'" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "quickstart.diffwire.json", "quickstart.py", "quickstart_train.py"]
    assert dw.load(tmp_path / "quickstart.diffwire.json") == g
    # it runs with diffwire off the path and loads the compiled graph's weights
    torch.save(g.compile(seed=0).state_dict(), tmp_path / "weights.pt")
    script = ("import torch\nfrom quickstart import Model\nmodel = Model()\n"
              "model.load_state_dict(torch.load('weights.pt', weights_only=True))\n"
              "print(model(torch.zeros(3, 1)).shape)\n")
    done = run_clean(["-c", script], cwd=tmp_path)
    assert done.returncode == 0 and "torch.Size([3, 1])" in done.stdout, done.stderr[-2000:]


def test_slots_only_when_an_id_clashes_with_module_dict(tmp_path):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 3])
    a = g.add("Linear", id="lin", in_features=3, out_features=3)
    g.connect(x, a)
    g.add_output(a, name="y")
    assert "class Slots" not in dw.export(g)
    g2 = dw.Graph()
    x = g2.add("Input", name="x", shape=[None, 3])
    a = g2.add("Linear", id="keys", in_features=3, out_features=3)  # ModuleDict.keys()
    g2.connect(x, a)
    g2.add_output(a, name="y")
    src = dw.export(g2)
    assert "class Slots" in src and "self.blocks = Slots()" in src
    compiled = g2.compile(seed=0)
    model = load_source(src, tmp_path).Model()
    model.load_state_dict(compiled.state_dict())
    z = torch.randn(2, 3)
    torch.testing.assert_close(model(z), compiled(z))


def test_from_python_checks_the_side_document(tmp_path):
    g = dw.load(ROOT / "demos" / "quickstart.diffwire")
    path = tmp_path / "m.py"
    dw.export(g, path, training=False)
    assert not (tmp_path / "m_train.py").exists()
    assert dw.from_python(path) == g
    side = tmp_path / "m.diffwire.json"
    side.write_text(side.read_text().replace('"tanh"', '"relu"'))
    with pytest.raises(dw.FormatError, match="changed since m.py was exported"):
        dw.from_python(path)
    side.unlink()
    with pytest.raises(dw.FormatError, match="cannot be read"):
        dw.from_python(path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    dw.export(g, outside / "m.py")
    side.symlink_to(outside / "m.diffwire.json")  # a link out of the folder is refused
    with pytest.raises(dw.FormatError, match="leads out of the folder"):
        dw.from_python(path)


def test_quickstart_training_file_is_the_documents_training_written_out(tmp_path):
    g = dw.load(ROOT / "demos" / "quickstart.diffwire")
    dw.export(g, tmp_path / "quickstart.py")
    text = (tmp_path / "quickstart_train.py").read_text()
    assert len(text.splitlines()) <= 125, len(text.splitlines())  # 438 as a generic interpreter
    assert max(len(line) for line in text.splitlines()) <= 100
    # no section kept as data for generic code to dispatch over at run time
    tree = ast.parse(text)
    constants = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name)}
    assert sorted(constants) == ["BATCH_SIZE", "SEED", "STEPS"]
    assert all(isinstance(v, ast.Constant) for v in constants.values())
    for generic in ("TRAINING", "GENERATORS", "OPTIMIZERS", "LOSSES", "make_optimizer", "DEFAULTS"):
        assert generic not in text, generic
    # the document's training as literal PyTorch: data, loss, the optimizer and its steps
    for line in ("STEPS = 1500", "BATCH_SIZE = 64", "made = sine(n=256, noise=0.05)",
                 'tensors = {"x": made["x"], "y": made["y"], **(data or {})}',
                 'return F.mse_loss(out, batch["y"])',
                 "yield torch.optim.Adam(model.parameters(), lr=0.01), steps",
                 "optimizer.step()", "torch.save(model.state_dict(), args.out)"):
        assert line in text, line
    # only the runtime code it uses, verbatim: the sine generator and the batch order
    defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert defined == ["sine", "epoch_order", "load_data", "compute_loss", "phases", "train",
                       "main"]
    for fn in (runtime_data.sine, batches.epoch_order):
        assert text.count(inspect.getsource(fn).strip("\n")) == 1, fn.__name__
    for unused in ("lr_scheduler", "save_checkpoint", "closure", "split_rows", "np.load"):
        assert unused not in text, unused
    done = run_clean(["quickstart_train.py", "--steps", "3", "--out", "w.pt"], cwd=tmp_path)
    assert done.returncode == 0 and "step 3/3" in done.stdout, done.stderr[-2000:]
    g.compile().load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))


def test_training_file_builds_optimizers_as_the_runtime_does(tmp_path):
    g = dw.load(ROOT / "demos" / "quickstart.diffwire")
    g.training["optimizer"] = {"kind": "rmsprop", "lr": 0.01, "momentum": 0.5,
                               "schedule": "step", "step_size": 3}
    src, mod = load_training(g, tmp_path)
    # the torch calls the runtime's optimizer_args/scheduler_args give, written out
    assert "optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.5)" in src
    assert "schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)" in src
    spec = optim.normalize(g.training["optimizer"])
    x = torch.linspace(-2, 2, 16)[:, None]
    weights = []
    for build in (lambda m: next(mod.phases(m, 10))[:2],
                  lambda m: (lambda o: (o, optimizers.make_scheduler(spec, o, 10)))(
                      optim.make_optimizer(spec, list(m.parameters())))):
        torch.manual_seed(0)
        model = mod.Model()
        opt, sched = build(model)
        for _ in range(10):
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(model(x), torch.sin(x)).backward()
            opt.step()
            sched.step()
        assert type(opt) is torch.optim.RMSprop and type(sched).__name__ == "StepLR"
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(weights[0], weights[1])


def test_an_optimizer_of_some_nodes_selects_them_with_the_runtimes_code(tmp_path):
    g = dw.load(ROOT / "demos" / "quickstart.diffwire")
    g.training["optimizer"] = {"kind": "sgd", "lr": 0.1, "nodes": ["mlp"], "grad_clip": 1.0}
    src, mod = load_training(g, tmp_path)
    for fn in optimizers.SOURCES:  # verbatim, once each
        assert src.count(inspect.getsource(fn).strip("\n")) == 1, fn.__name__
    assert 'torch.optim.SGD(select_params(model, ["mlp"]), lr=0.1)' in src
    assert "torch.nn.utils.clip_grad_norm_(params, clip)" in src
    model = mod.Model()
    opt, clip, _ = next(mod.phases(model, 5))
    assert clip == 1.0 and opt.param_groups[0]["params"] == list(model.parameters())


def test_the_readme_shows_the_quickstart_export_as_it_is():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("exports as this\n  `quickstart.py`, whole:")
    block = readme[readme.index("```python\n", start) + len("```python\n"):]
    block = block[:block.index("  ```")]
    shown = "\n".join(line[2:] for line in block.splitlines()) + "\n"
    assert shown == dw.export(dw.load(ROOT / "demos" / "quickstart.diffwire"))


def test_the_readme_shows_the_quickstart_training_as_it_is():
    readme = (ROOT / "README.md").read_text()
    files = dw.export.files(dw.load(ROOT / "demos" / "quickstart.diffwire"))
    text = files["quickstart_train.py"]
    # the line counts the READMEs give are the file's
    start = readme.index("and its training in `quickstart_train.py` (")
    assert re.match(r"and its training in `quickstart_train.py` \((\d+) lines",
                    readme[start:]).group(1) == str(len(text.splitlines()))
    note = (ROOT / "kernel_lib" / "diffwire" / "export" / "README.md").read_text()
    assert f"the training: {len(text.splitlines())} lines of plain PyTorch" in note
    # the excerpt: the document's own functions, verbatim and whole
    block = readme[readme.index("```python\n", start) + len("```python\n"):]
    block = block[:block.index("  ```")]
    shown = "\n".join(line[2:] for line in block.splitlines()) + "\n"
    assert shown.startswith("def load_data(") and shown in text
    assert text.split(shown)[1].startswith("\n\ndef train(")
