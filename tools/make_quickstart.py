"""Writes demos/01_quickstart.ipynb (kept as code so the notebook diffs stay readable)."""

import pathlib

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell(
        "# diffwire quickstart\n\nBuild a graph of blocks from Python, compile it into a real "
        "`torch.nn.Module`, train it on a small regression, and save it as a `.diffwire` file."),
    nbf.v4.new_code_cell(
        "import os\nimport torch\nimport diffwire as dw\n\n"
        "FAST = os.environ.get('DIFFWIRE_FAST') == '1'\n"
        "torch.manual_seed(0)\n"
        "X = torch.linspace(-2, 2, 128).unsqueeze(1).repeat(1, 2) * torch.tensor([1.0, -0.5])\n"
        "Y = torch.stack([torch.sin(X[:, 0]), X[:, 0] * X[:, 1]], dim=1)"),
    nbf.v4.new_code_cell(
        "g = dw.Graph()\n"
        "x = g.add('Input', name='x', shape=[None, 2])\n"
        "h = g.add('MLP', widths=[2, 64, 64, 2], activation='tanh', label='encoder')\n"
        "g.connect(x, h)\n"
        "g.add_output(h, name='y')\n"
        "print(g.validate())\n"
        "g.infer_shapes()"),
    nbf.v4.new_code_cell(
        "model = g.compile(seed=0)\n"
        "opt = torch.optim.Adam(model.parameters(), lr=1e-2)\n"
        "losses = []\n"
        "for _ in range(100 if FAST else 1000):\n"
        "    opt.zero_grad()\n"
        "    loss = torch.nn.functional.mse_loss(model(x=X), Y)\n"
        "    loss.backward()\n"
        "    opt.step()\n"
        "    losses.append(loss.item())\n"
        "print(f'loss {losses[0]:.4f} -> {losses[-1]:.4f}')\n"
        "assert losses[-1] < 0.2 * losses[0]"),
    nbf.v4.new_code_cell(
        "import plotly.graph_objects as go\n"
        "go.Figure(go.Scatter(y=losses, mode='lines'), layout=dict(yaxis_type='log', "
        "title='training loss', height=300))"),
    nbf.v4.new_code_cell(
        "path = g.save('quickstart_model.diffwire')\n"
        "g2 = dw.load(path)\n"
        "assert g2 == g\n"
        "print(path.read_text()[:300])"),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                               "display_name": "Python 3",
                                                               "language": "python"}})
nbf.write(nb, pathlib.Path(__file__).resolve().parents[1] / "demos" / "01_quickstart.ipynb")
