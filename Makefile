# The two commands of the README:
#   make demo   bootstrap if needed, then train briefly on generated data and predict an alpha matte
#   make test   bootstrap if needed, then run the test suite
VENV ?= .venv
PYTHON := $(VENV)/bin/python
export INDEXNET_VENV := $(abspath $(VENV))

.PHONY: bootstrap demo test bench

bootstrap:
	bash tools/bootstrap.sh

demo: bootstrap
	$(PYTHON) tools/demo.py

test: bootstrap
	$(PYTHON) -m pytest tests

bench: bootstrap
	$(PYTHON) bench/bench_pipeline.py
	$(PYTHON) bench/bench_inference.py
	$(PYTHON) bench/bench_foreground.py
