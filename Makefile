# The two commands of the README:
#   make demo   bootstrap if needed, then train briefly on generated data and predict an alpha matte
#   make test   bootstrap if needed, then run the test suite: all of it on the
#               mmedit host (.venv), the part below on the mmagic host (.venv-mmagic)
VENV ?= .venv
MMAGIC_VENV ?= .venv-mmagic
PYTHON := $(VENV)/bin/python
MMAGIC_PYTHON := $(MMAGIC_VENV)/bin/python
export INDEXNET_VENV := $(abspath $(VENV))
# What runs on MMagic 1.2.0 too: registries, both pipelines, the model and the
# Comp-1k converter against MMagic's own, MMagic's inference API, the
# predictor, CLI and ONNX export, mim train -> kill -> --resume -> mim test,
# the automatic person mask, video (clips in and out), the matting page in
# Chromium.
MMAGIC_TESTS := tests/test_bootstrap.py tests/test_registry.py \
	tests/datasets/test_pipelines.py tests/models/test_indexnet_mattor.py \
	tests/models/test_host_inference_apis.py \
	tests/tools/test_prepare_comp1k.py::TestEndToEnd \
	tests/training/test_mim_train.py::test_train_killed_then_resumed_then_tested \
	tests/apis/test_api_inference.py tests/apis/test_api_cli_export.py \
	tests/apis/test_api_openvino.py tests/apis/test_api_openvino_form.py \
	tests/apis/test_api_compiled_cache.py \
	tests/apis/test_api_exported.py tests/apis/test_api_quantize.py \
	tests/apis/test_api_auto_mask.py tests/apis/test_api_cli_auto_mask.py \
	tests/apis/test_api_video.py tests/apis/test_api_video_predict.py \
	tests/apis/test_api_cli_video.py \
	tests/app

.PHONY: bootstrap bootstrap-mmagic demo test test-mmedit test-mmagic bench

bootstrap:
	bash tools/bootstrap.sh

bootstrap-mmagic:
	INDEXNET_HOST=mmagic INDEXNET_VENV=$(abspath $(MMAGIC_VENV)) bash tools/bootstrap.sh

demo: bootstrap
	$(PYTHON) tools/demo.py

test: test-mmedit test-mmagic

test-mmedit: bootstrap
	$(PYTHON) -m pytest tests

test-mmagic: bootstrap-mmagic
	$(MMAGIC_PYTHON) -m pytest $(MMAGIC_TESTS)

bench: bootstrap
	$(PYTHON) bench/bench_pipeline.py
	$(PYTHON) bench/bench_inference.py
	$(PYTHON) bench/bench_foreground.py
