"""The live plots in JupyterLab: the whole of a long run on the loss plot, a zoom that
fetches its range at full resolution from the kernel, and plot colours that follow the
theme both ways."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

LONG_RUN = """
import types
from diffwire.widget.live import metrics_event
N = 60_000
hist = [{"step": i, "loss": 1.0 / (1 + i / 100) * (1.5 if i % 997 == 0 else 1.0)} for i in range(N)]
ed.control.run = types.SimpleNamespace(history=hist, state="finished")
ed.send({"event": "reset_metrics"})
for a in range(0, N, 5000):
    ed.send(metrics_event(hist[a:a + 5000]))
result = 1
"""

LUMINANCE = """(el) => {
  const c = el.querySelector('canvas');
  const d = c.getContext('2d').getImageData(0, 0, 60, c.height).data;  // the y axis labels
  let sum = 0, n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200) { sum += (d[i] + d[i + 1] + d[i + 2]) / 3; n++; }
  return n ? sum / n : -1;
}"""


def test_a_long_run_is_whole_and_a_zoom_fetches_full_resolution(nb):
    nb.kernel(LONG_RUN)
    plot = nb.editor.locator(".dw-loss-plot")
    nb.page.wait_for_function(
        "() => Number(document.querySelector('.dw-root .dw-loss-plot').dataset.points) === 60000",
        timeout=60_000)
    # every point arrived; the plot holds a bounded summary that starts at step 0
    nb.editor.locator("button.dw-enlarge").click()
    over = nb.editor.locator(".dw-plots-big .dw-loss-plot .u-over")
    over.wait_for()
    nb.page.wait_for_timeout(500)
    nb.screenshot("20_long_run_whole")
    box = over.bounding_box()
    nb.page.mouse.move(box["x"] + box["width"] * 0.02, box["y"] + 30)
    nb.page.mouse.down()
    nb.page.mouse.move(box["x"] + box["width"] * 0.04, box["y"] + 30, steps=6)
    nb.page.mouse.up()
    nb.page.wait_for_function(
        "() => Number(document.querySelector('.dw-root .dw-loss-plot').dataset.detailPoints) > 0",
        timeout=30_000)
    n = int(plot.get_attribute("data-detail-points"))
    # a range of about 2% of 60,000 steps: every step of it, from the kernel
    assert 600 < n <= 2000, n
    assert plot.get_attribute("data-zoomed") == "true"
    nb.screenshot("21_long_run_zoomed")
    nb.editor.locator("button.dw-zoom-out").click()
    assert plot.get_attribute("data-zoomed") == "false"
    nb.editor.locator("button.dw-enlarge").click()


def test_plots_follow_the_theme_both_ways(nb):
    page = nb.page
    nb.kernel("from diffwire.widget.live import metrics_event\n"
              "ed.send({'event': 'reset_metrics'})\n"
              "ed.send(metrics_event([{'step': i, 'loss': 1 / (i + 1)} for i in range(200)]))\n"
              "result = 1")
    plot = nb.editor.locator(".dw-loss-plot")
    page.wait_for_function("() => Number(document.querySelector('.dw-root .dw-loss-plot').dataset.points) === 200")
    page.wait_for_timeout(300)
    light = plot.evaluate(LUMINANCE)
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    try:
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        page.wait_for_timeout(1200)
        dark = plot.evaluate(LUMINANCE)
        nb.screenshot("22_plots_dark")
    finally:
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)
    page.wait_for_timeout(1200)
    back = plot.evaluate(LUMINANCE)
    # axis labels: dark ink on the light theme, light ink on the dark one, dark again after
    assert light < 110 and dark > 150 and back < 110, (light, dark, back)
