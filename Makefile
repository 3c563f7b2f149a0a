# The set-up behind the README's two commands: `make lab` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_PIN := torch==2.13.0
PYTEST_ARGS ?=
# Jupyter refuses to run as root without this; these machines (and containers) run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test setup venv deps js labext starter browser bench clean

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=demos $(ROOT_FLAG)

test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

setup: deps js browser

venv: $(PY)
$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
deps: venv
	@$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q $(TORCH_PIN)
	$(PIP) install -q -e ".[test]"

js: deps
	@if [ -f extension/package.json ]; then $(MAKE) -C extension build PY=$(abspath $(PY)); fi

# The prebuilt JupyterLab extension: the editable install in `deps` builds it (hatch hook)
# and installs it into the venv as shared data. After editing extension/src/lab, rebuild it
# and re-install (the browser tests always load this checkout's build).
labext: deps
	$(MAKE) -C extension lab PY=$(abspath $(PY))
	$(PIP) install -q --no-deps -e .

# The program File > New writes, made by the kernel library (widget/starter.py) and shipped
# with the extension; tests/test_lab_comm.py says when it is out of date.
starter: deps
	$(PY) -m diffwire.widget.starter extension/src/lab/starter.json

# Debian's chromium drives the browser tests; never a downloaded browser. A C compiler
# builds the compiled ODE solves (diffwire/ode/native.py) and torch's inductor.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	@command -v cc >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null)

bench: setup
	for f in bench/*.py; do $(PY) $$f; done

clean:
	rm -rf $(VENV) extension/node_modules extension/lib kernel_lib/diffwire/widget/static kernel_lib/diffwire/labextension
