# Aduan — developer entry points. Everything installs into the repo (.venv/, node_modules/); nothing global.
#
#   make run      dynalite + tables + demo data + chalice local (http://127.0.0.1:8000) + schedule runner
#   make run PORT=8400   the same on http://127.0.0.1:8400 (dynalite on 8401; every link the app builds follows)
#   make test     ruff, then pytest over tests/ (unit, integration on loopback, browser (e2e), packaging)
#   make lint     ruff
#   make bench    python -m bench
#   make screenshots  refresh docs/screenshots/ from the browser tests
#   make clean    remove installs, caches and build output (keeps .data/, the local DynamoDB data)
#   make clean-data   remove .data/ (the local DynamoDB data of `make run`)
#   make simulate CHANNEL=line TEXT="..."   send a signed sample webhook to the running `make run`, show the reply
#   make simulate URL=http://127.0.0.1:8400 CHANNEL=line TEXT="..."   the same against another local server
#   make deploy STAGE=dev [REGION=ap-southeast-3] [MAIL_IDENTITY=kota.go.id] [ALARM_EMAIL=ops@kota.go.id]   data stack, policy, config, chalice deploy; prints the webhook URLs
#   make destroy STAGE=dev [PURGE=1]   chalice delete, then the data stack (PURGE=1: its retained tables and buckets too; prod needs CONFIRM=prod)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.DEFAULT_GOAL := help
.PHONY: help venv node_modules browser run test lint bench clean clean-data simulate screenshots

help:
	@sed -n 's/^#   //p' Makefile

venv: $(VENV_STAMP)

# Rebuilt only when a requirements file changes (or .venv is gone).
$(VENV_STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --requirement requirements-dev.txt
	touch $@

node_modules: $(NODE_STAMP)

# dynalite (DynamoDB on loopback); `npm ci` installs exactly package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium for the browser tests (tests/e2e, driven by Playwright; `playwright install` is never used).
# Installed when missing if we are root with apt-get; otherwise nothing fails: the browser tests skip, and say why.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests (tests/e2e)..."; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-liberation >/dev/null; } \
		|| echo "WARNING: could not install chromium: the browser tests (tests/e2e) will be SKIPPED"; \
	else \
		echo "WARNING: $(CHROMIUM) is missing and cannot be installed here (needs root and apt-get):" \
			"the browser tests (tests/e2e) will be SKIPPED"; \
	fi

# `make run PORT=8400`: chalice local and every URL the app builds on 8400, dynalite on 8401. A plain assignment,
# not ?=, so a PORT exported by the shell does not move `make run`; the command line still overrides it.
PORT = 8000
run: $(VENV_STAMP) $(NODE_STAMP)
	$(BIN)/python -m scripts.run_local --port $(PORT)

test: $(VENV_STAMP) $(NODE_STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests

screenshots: $(VENV_STAMP) $(NODE_STAMP) browser
	ADUAN_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e

lint: $(VENV_STAMP)
	$(BIN)/ruff check .

bench: $(VENV_STAMP) $(NODE_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules .chalice/deployments .pytest_cache .ruff_cache .hypothesis build dist
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +

clean-data:
	rm -rf .data

# make simulate CHANNEL=line TEXT="Jalan berlubang di Jl. Dhoho"   (needs `make run` in another terminal)
# URL= the server to post to (default: where `make run PORT=...` listens); it waits up to 10 s for the reply.
CHANNEL ?= line
TEXT ?= Jalan berlubang di Jl. Dhoho depan toko, bahaya buat motor
URL = http://127.0.0.1:$(PORT)
simulate: $(VENV_STAMP)
	$(BIN)/python -m scripts.simulate --url "$(URL)" $(CHANNEL) "$(TEXT)"

#   make city FILE=city.yaml [APPLY=1]   validate a city file and show what it would change; APPLY=1 applies it (docs/city-file.md)
.PHONY: city
city: $(VENV_STAMP)
	@test -n "$(FILE)" || { echo "usage: make city FILE=path/to/city.yaml [APPLY=1]"; exit 2; }
	$(BIN)/python -m scripts.city $(if $(APPLY),apply --yes,plan) "$(FILE)"

# make deploy STAGE=dev: AWS credentials of the target account in the environment (README, "Deploy").
.PHONY: deploy destroy
deploy: $(VENV_STAMP)
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=dev [REGION=...] [MAIL_IDENTITY=...] [ALARM_EMAIL=...]"; exit 2; }
	$(BIN)/python -m scripts.deploy deploy --stage "$(STAGE)" $(if $(REGION),--region "$(REGION)") \
		$(if $(MAIL_IDENTITY),--mail-identity "$(MAIL_IDENTITY)") $(if $(ALARM_EMAIL),--parameter "AlarmEmail=$(ALARM_EMAIL)")

destroy: $(VENV_STAMP)
	@test -n "$(STAGE)" || { echo "usage: make destroy STAGE=dev [PURGE=1] [CONFIRM=prod]"; exit 2; }
	$(BIN)/python -m scripts.deploy destroy --stage "$(STAGE)" $(if $(REGION),--region "$(REGION)") \
		$(if $(CONFIRM),--confirm "$(CONFIRM)") $(if $(PURGE),--purge-data)
