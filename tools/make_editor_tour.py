"""Writes demos/00_editor_tour.ipynb (kept as code so the notebook diffs stay readable)."""

import pathlib

import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell

cells = [
    md("# The diffwire editor\n\n"
       "Build a graph in Python, then edit it on the canvas: drag blocks in from the palette, "
       "wire ports, change parameters in the inspector. `ed.graph` is always what the canvas "
       "shows.\n\n"
       "Shortcuts inside the editor: Ctrl/Cmd+Z undo, Shift+Ctrl/Cmd+Z redo, Ctrl/Cmd+C/V/D "
       "copy/paste/duplicate, Ctrl/Cmd+G group the selection into a body (Shift+Ctrl/Cmd+G "
       "ungroups), Delete, F fit, L auto-layout."),
    code("import torch\nimport diffwire as dw\n\n"
         "# the quickstart graph: Input -> MLP -> Output, fitted to y = sin(3x) with MSE\n"
         "g = dw.Graph()\n"
         "x = g.add(\"Input\", name=\"x\", shape=[None, 1], position=[0, 40])\n"
         "f = g.add(\"MLP\", widths=[1, 32, 32, 1], activation=\"tanh\", label=\"f\", "
         "position=[220, 0])\n"
         "g.connect(x, f)\n"
         "g.add_output(f, name=\"y\").position = [480, 40]\n\n"
         "X = torch.linspace(-1, 1, 200)[:, None]\n"
         "Y = torch.sin(3 * X)\n"
         "training = dict(data={\"x\": X, \"y\": Y}, loss=\"mse\", optimizer=(\"adam\", "
         "{\"lr\": 1e-2}), steps=20000)"),
    code("# Train, Pause, Resume and Stop are in the panel on the right; the lr field applies on "
         "Enter.\ned = dw.Editor(g, height=\"560px\", train_options=training)\ned"),
    md("Whatever you do on the canvas is in `ed.graph`; edits made here appear there after "
       "`ed.refresh()`."),
    code("print(ed.graph.to_json()[:400])"),
    md("Press **Train** in the panel, or start the same run from Python. The loss plot, the "
       "predictions against the data, the step counter and steps/s follow it; Pause, Resume, "
       "Stop and the lr field act on it. Edit the graph while it runs and press **Rebuild**: "
       "nodes that did not change keep their weights."),
    code("import os, time\n\n"
         "FAST = os.environ.get(\"DIFFWIRE_FAST\") == \"1\"\n"
         "run = ed.train(steps=300 if FAST else 20000)\n"
         "time.sleep(3)\nrun"),
    code("run.stop()\nprint(run.state, \"at step\", run.step, \"loss\", run.loss)"),
    md("## A universal differential equation: Lotka-Volterra\n\n"
       "`dw.ode.lotka_volterra_ude()` is an `ODESolve` node whose vector field is a body graph: "
       "the known terms `alpha*x` and `-delta*y` as an `Expression`, plus a small network `U` "
       "for the unknown interaction, combined by a `Sum`. Double-click the `solve` node to open "
       "its body on the canvas (the breadcrumb leads back). The data are 31 noisy observations "
       "from `dw.ode.lotka_volterra()`; `y0` and `t` are bound as fixed inputs and the trajectory "
       "`y` is the target (see `03_lotka_volterra_ude.ipynb` for the whole study, with SINDy "
       "recovery)."),
    code("t, y, y0, truth = dw.ode.lotka_volterra()\n"
         "lv = dw.ode.lotka_volterra_ude(method=\"builtin_rk4\", step_size=0.1)\n\n\n"
         "def fixed(name, value):\n"
         "    return {\"source\": \"kernel\", \"name\": name, \"value\": value, \"batch\": False}\n\n\n"
         "lv_training = dict(data={\"y0\": fixed(\"y0\", y0), \"t\": fixed(\"t\", t), \"y\": y},\n"
         "                   loss=\"mse\", optimizer=(\"adam\", {\"lr\": 0.1}), seed=0)\n"
         "ed_lv = dw.Editor(lv, height=\"560px\", train_options=lv_training)\n"
         "ed_lv"),
    md("Train it: the predictions plot shows the fitted trajectories against the data over "
       "time and the phase portrait (prey against predator)."),
    code("lv_run = ed_lv.train(steps=40 if FAST else 400)\n"
         "lv_run.wait()\n"
         "print(lv_run.state, \"at step\", lv_run.step, \"loss\", lv_run.loss)"),
]
for i, c in enumerate(cells):  # stable ids: regenerating gives the same file
    c.id = f"cell-{i:02d}"
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                               "display_name": "Python 3",
                                                               "language": "python"}})
nbf.write(nb, pathlib.Path(__file__).resolve().parents[1] / "demos" / "00_editor_tour.ipynb")
