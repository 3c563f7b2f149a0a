"""Writes demos/06_export_and_import.ipynb (kept as code so the notebook diffs stay readable)."""

import pathlib

import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
cells = [
    md("# Export to plain PyTorch, and import modules back\n\n"
       "A graph is never a lock-in: `dw.export(g, 'lv_ude.py')` writes it as plain PyTorch "
       "that needs only torch (and torchdiffeq for ODE solves): the model module "
       "(`lv_ude.py`, an `nn.Module` called `Model`), its training file (`lv_ude_train.py`: "
       "`train()` built from the document's training section and a `__main__` that also runs "
       "under `torchrun`) and the document beside them (`lv_ude.diffwire.json`). "
       "`dw.from_python` reads the graph back; `dw.from_module` brings an "
       "existing `nn.Module` onto the canvas through torch.fx."),
    code("import os\nimport subprocess\nimport sys\n\nimport torch\nfrom torch import nn\n"
         "import torch.nn.functional as F\n\nimport diffwire as dw\nfrom diffwire import ode\n\n"
         "FAST = os.environ.get('DIFFWIRE_FAST') == '1'"),
    md("## 1. The Lotka-Volterra UDE as a standalone script\n\n"
       "Known terms `alpha*x` and `-delta*y` plus a small rbf network `U` for the interaction "
       "terms, solved with the built-in RK4 (inlined as plain torch in the export). The "
       "training section simulates the data with the `lotka_volterra` generator, which the "
       "export writes out as torch + torchdiffeq code."),
    code("g = ode.lotka_volterra_ude(method='builtin_rk4')\n"
         "data = {'source': 'generator', 'name': 'lotka_volterra',\n"
         "        'kwargs': {'n': 31, 't_end': 3.0}, 'batch': False}\n"
         "g.training = {'data': {'t': data, 'y0': data, 'y': data}, 'loss': 'mse',\n"
         "              'optimizer': {'kind': 'adam', 'lr': 0.01}, 'steps': 300, 'seed': 0}\n"
         "source = dw.export(g, 'lv_ude.py')  # also lv_ude_train.py, lv_ude.diffwire.json\n"
         "print(source)"),
    md("Run the training file in a fresh process whose `PYTHONPATH` does not reach diffwire: "
       "the two files stand alone."),
    code("env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}\n"
         "steps = '20' if FAST else '300'\n"
         "done = subprocess.run([sys.executable, 'lv_ude_train.py', '--steps', steps, '--out',\n"
         "                       'lv_weights.pt'], capture_output=True, text=True, env=env)\n"
         "print(done.stdout[-1500:] or done.stderr[-1500:])\n"
         "assert done.returncode == 0"),
    md("The weights it saved load straight into the compiled graph (same keys), so the run can "
       "continue in the notebook, or in the editor."),
    code("model = g.compile()\n"
         "model.load_state_dict(torch.load('lv_weights.pt', weights_only=True))\n"
         "traj = ode.lotka_volterra(n=31, t_end=3.0)\n"
         "with torch.no_grad():\n"
         "    fit = F.mse_loss(model(y0=traj.y0, t=traj.t), traj.y).item()\n"
         "print(f'mse of the trained UDE on the data: {fit:.4f}')"),
    md("The same script scales out with data parallelism: `torchrun --nproc_per_node=2 "
       "lv_ude_train.py` wraps the model in DistributedDataParallel (gloo on CPU, nccl on GPU), "
       "shards the rows by rank, and only rank 0 prints and saves.\n\n"
       "The model file's docstring names its document (`lv_ude.diffwire.json`, with its "
       "sha256), so editing round-trips without loss:"),
    code("back = dw.from_python('lv_ude.py')  # parsed with ast: nothing in the file runs\n"
         "assert back == g\n"
         "back.node('solve/field/U').params['widths'] = [2, 8, 8, 2]\n"
         "dw.export(back, 'lv_ude_wider.py')\n"
         "assert dw.from_python('lv_ude_wider.py') == back\n"
         "print('round trip ok; U is now', back.node('solve/field/U').params['widths'])"),
    md("## 2. A hand-written CNN onto the canvas\n\n"
       "torch.fx traces the module; convolutions, pooling, normalization, linear layers, "
       "activations, permutes, reshapes and arithmetic become blocks (a Linear-ReLU-Linear "
       "head folds into one MLP), with their weights copied. A layer with no block would "
       "become an opaque `Module` node that holds the layer and shows its class name (it runs "
       "but cannot export); this network has none, so it exports as well."),
    code("class SmallCNN(nn.Module):\n"
         "    def __init__(self):\n"
         "        super().__init__()\n"
         "        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)\n"
         "        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)\n"
         "        self.norm = nn.LayerNorm(16)\n"
         "        self.fc1 = nn.Linear(16 * 3 * 3, 32)\n"
         "        self.fc2 = nn.Linear(32, 10)\n\n"
         "    def forward(self, x):\n"
         "        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)\n"
         "        x = torch.relu(self.conv2(x))\n"
         "        x = self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)\n"
         "        x = x.reshape(x.size(0), -1)\n"
         "        return self.fc2(torch.relu(self.fc1(x)))\n\n\n"
         "torch.manual_seed(0)\n"
         "net = SmallCNN()\n"
         "cnn = dw.from_module(net, torch.randn(2, 1, 16, 16))\n"
         "for n in cnn.nodes.values():\n"
         "    print(f'{n.id:12} {n.type:10} {n.label or \"\"}')"),
    code("x = torch.randn(5, 1, 16, 16)\n"
         "with torch.no_grad():\n"
         "    gap = (cnn.compile()(x) - net(x)).abs().max().item()\n"
         "print(f'largest difference between the graph and the module: {gap:.2e}')\n"
         "assert gap < 1e-5"),
    code("import importlib.util\n\n"
         "dw.export(cnn, 'small_cnn.py')  # F.max_pool2d, nn.LayerNorm, permute: plain torch\n"
         "spec = importlib.util.spec_from_file_location('small_cnn', 'small_cnn.py')\n"
         "small_cnn = importlib.util.module_from_spec(spec)\n"
         "spec.loader.exec_module(small_cnn)\n"
         "exported = small_cnn.Model()\n"
         "exported.load_state_dict(cnn.compile().state_dict())\n"
         "with torch.no_grad():\n"
         "    gap = (exported(x) - net(x)).abs().max().item()\n"
         "print(f'largest difference between the exported file and the module: {gap:.2e}')\n"
         "assert gap < 1e-5"),
    code("if hasattr(dw, 'Editor'):\n"
         "    view = dw.Editor(cnn)\n"
         "else:  # the editor widget is not installed in this checkout\n"
         "    view = sorted({n.type for n in cnn.nodes.values()})\n"
         "view"),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                               "display_name": "Python 3",
                                                               "language": "python"}})
nbf.write(nb, pathlib.Path(__file__).resolve().parents[1] / "demos" / "06_export_and_import.ipynb")
