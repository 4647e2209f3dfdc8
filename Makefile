# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck pytest system-deps clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/interlock demo

test: $(BIN)/.installed system-deps lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(BIN)/.installed
	$(BIN)/mypy --strict src

pytest: $(BIN)/.installed
	$(BIN)/pytest

system-deps:
	scripts/ensure-system-deps

clean:
	rm -rf $(VENV) .interlock .pytest_cache .mypy_cache .ruff_cache
