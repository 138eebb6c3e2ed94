# `make run` chats with the assistant; `make test` runs every test. Both create the virtual
# environment and train the model when they need to.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/current.tar.gz
export RASA_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Retrain when the training data, the staff phrasings, the pipeline or its custom components
# change.
TRAINING := config.yml domain.yml $(shell find bot/nlu bot/offtopic content/phrasings -name '*.yml' 2>/dev/null) \
	bot/nlu/components.py bot/nlu/domain.py bot/nlu/lexical.py bot/nlu/risk.py bot/language.py

.PHONY: run test lint check train clean
run: $(MODEL)
	$(BIN)/migrant-bot chat

test: $(MODEL)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(BIN)/migrant-bot
	$(BIN)/ruff check .

check: lint test

train: $(MODEL)

$(BIN)/migrant-bot: pyproject.toml constraints.txt
	@py=$$(scripts/find-python310) || exit 1; \
	  test -x $(BIN)/python || $$py -m venv $(VENV)
	$(BIN)/pip install -q pip==24.0
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	@$(BIN)/rasa telemetry disable >/dev/null 2>&1 || true
	@touch $@

$(MODEL): $(BIN)/migrant-bot $(TRAINING)
	$(BIN)/migrant-bot train --force
	@touch $@

clean:
	rm -rf models .pytest_cache
