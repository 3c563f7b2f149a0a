"""The editor's scenarios that matter, in Jupyter Notebook 7 (the same scenario code as
in JupyterLab, test_editor_browser.py, on a Notebook 7 page): it shows the graph, a block
dragged from the palette lands in the kernel's graph, two ports connect, training moves
the loss plot, and Pause holds it."""

from __future__ import annotations

import pytest
import test_editor_browser as scenarios

pytestmark = pytest.mark.e2e


def test_is_notebook_7_and_the_module_comes_from_the_extension(nb7):
    assert "/notebooks/" in nb7.page.url
    assert nb7.page.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
    # the widget module was imported from the lab extension's static files, not the kernel
    host = nb7.page.locator("[data-dw-module]").first
    assert host.get_attribute("data-dw-module") == "extension"


def test_shows_the_graph(nb7):
    scenarios.test_editor_renders_the_demo_graph(nb7)


def test_drag_a_block(nb7):
    scenarios.test_drag_block_from_palette(nb7)


def test_connect(nb7):
    scenarios.test_connect_two_ports(nb7)


def test_train_loss_moves_then_pause(nb7):
    scenarios.test_train_pause(nb7)
