"""Boolean circuits to learn: the tasks (truth tables as data generators) and circuits of
LUT gates shaped for them, trained by reverse derivative ascent (the ``rda`` optimizer).

```python
g = dw.logic.adder2_circuit()          # LUT gates wired as a 2-bit ripple adder
run = dw.train(g, data=dw.logic.adder2(), loss="hamming", optimizer="rda", steps=200)
dw.logic.write_tables(g, run.model)    # the learned truth tables, into the document
```
"""

from __future__ import annotations

from .circuits import adder2_circuit, parity4_circuit
from .tables import truth_rows, write_tables
from .tasks import adder2, parity4

__all__ = ["adder2", "adder2_circuit", "parity4", "parity4_circuit", "truth_rows",
           "write_tables"]
