"""The learned-optimizer demo executes in a real kernel: with DIFFWIRE_FAST=1 here, in its
default setting in tests/test_demos_default.py (slow-marked)."""

import pytest

from nbrun import outputs_text, run_notebook


def test_learned_optimizer_notebook(tmp_path):
    text = outputs_text(run_notebook("08_learned_optimizer.ipynb", tmp_path, timeout=600))
    assert "LEARNED OPTIMIZER OK: 4 meta-iterations" in text
    assert "meta-optimizer chain: grad → clip_by_global_norm max_norm=1" in text
    assert "held-out tasks where the learned optimizer ends lower than tuned Adam" in text


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
