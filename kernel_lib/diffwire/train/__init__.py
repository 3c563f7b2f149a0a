"""Training: background runs with live control, streamed metrics, checkpoints.

```python
run = dw.train(g, data={"x": X, "y": Y}, loss="mse", optimizer=("adam", {"lr": 1e-2}),
               steps=5000)
run.pause(); run.set(lr=3e-3); run.resume()
g.node("mlp").params["widths"] = [2, 128, 2]; run.rebuild()
run.stop(); run.history
```
"""

from .api import resume, train
from .callbacks import Callback, ProgressBar
from .checkpoint import load as load_checkpoint
from .config import TrainConfig, training_config
from .generators import GENERATORS, register_generator
from .optimizer_block import Optimizer
from .run import Run, default_device
from .validate import validate_training
from ..blocks.registry import register as _register

_register(Optimizer)

__all__ = ["Callback", "GENERATORS", "Optimizer", "ProgressBar", "Run", "TrainConfig",
           "default_device", "load_checkpoint", "register_generator", "resume", "train",
           "training_config", "validate_training"]
