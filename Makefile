# The two commands of README.md: `make run` (install, migrate, serve the demo) and `make test`.
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# `make run PORT=8010` when 8000 is taken.
PORT ?= 8000

.PHONY: run test

$(STAMP): requirements.txt requirements-dev.txt
	@PYTHON="$${PYTHON:-$$(scripts/find-python)}" && \
	  echo "Installing into $(VENV) with $$PYTHON" && \
	  "$$PYTHON" -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python manage.py migrate --no-input -v0
	$(VENV)/bin/python manage.py collectstatic --no-input -v0
	$(VENV)/bin/python manage.py demo --port $(PORT)

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
