"""Training: background runs with live control, streamed metrics, checkpoints.

```python
run = dw.train(g, data={"x": X, "y": Y}, loss="mse", optimizer=("adam", {"lr": 1e-2}),
               steps=5000)
run.pause(); run.set(lr=3e-3); run.resume()
g.node("mlp").params["widths"] = [2, 128, 2]; run.rebuild()
run.stop(); run.history
```

``dw.train`` is both this package and the function that starts a run: calling the package
calls :func:`diffwire.train.api.train` (a plain function of that name would shadow the
package, and ``import diffwire.train.optim as o`` would break).
"""


from ..blocks.registry import register as _register
from ..callable_package import make_callable as _make_callable
from .api import resume, train
from .callbacks import Callback, ProgressBar
from .catalog import generator_catalog, loss_catalog, training_catalog
from .checkpoint import load as load_checkpoint
from .config import TrainConfig, training_config
from .device import default_device
from .ensemble import Ensemble
from .ensemble_run import EnsembleRun
from .generators import GENERATORS, register_generator
from .optimizer_block import Optimizer
from .run import Run
from .runs import LoadedRun, load_run, runs
from .sparsify import Sparsify
from .store import StoreError, runs_folder
from .validate import validate_training

_register(Optimizer)


_make_callable(__name__, train)

__all__ = ["Callback", "Ensemble", "EnsembleRun", "GENERATORS", "LoadedRun", "Optimizer", "ProgressBar", "Run",
           "StoreError", "TrainConfig", "default_device", "generator_catalog", "load_checkpoint",
           "load_run", "loss_catalog", "training_catalog",
           "register_generator", "resume", "runs", "runs_folder", "train", "training_config",
           "Sparsify",
           "validate_training"]
