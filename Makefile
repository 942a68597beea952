# Signet: `make run` serves on http://localhost:8000, `make test` runs the suite,
# `make cluster` runs nginx and two instances on MariaDB, Redis and S3 (http://127.0.0.1:8080).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs the runtime requirements only; `make test` (and the tools that need
# moto, playwright or wrk's companions) add the dev ones. Each stamp names its files' sum.
RUNTIME_STAMP := $(VENV)/.runtime-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
MYSQL_TEST_URL ?= mysql+pymysql://root@127.0.0.1:3306
# pytest-xdist processes; each gets its own database, upload folders and servers.
TEST_WORKERS ?= 2
export FLASK_APP := wsgi.py
# Some machines set it: every pytest worker then compiles every test module again, ~5 s a
# suite (__pycache__ is ignored by git).
unexport PYTHONDONTWRITEBYTECODE

# node_modules as package-lock.json pins it: axe-core for the browser tests, newman.
NODE_STAMP := node_modules/.package-lock.json

.PHONY: run cluster cluster-ha ha-packages nginx test test-fast test-sqlite test-mysql lint migrate venv venv-dev clean postman docs

venv: $(RUNTIME_STAMP)

venv-dev: $(DEV_STAMP)

# $(call install,requirements file,stamp prefix)
define install
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed; installing Debian's python3-venv"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# swagger-ui-bundle-v2 replaced swagger-ui-bundle (Swagger UI 4.15.5): same module.
	@$(BIN)/python -m pip uninstall --quiet -y swagger-ui-bundle 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -r $(1)
	@rm -f $(VENV)/$(2)-*
	@touch $@
endef

$(RUNTIME_STAMP): requirements.txt
	$(call install,requirements.txt,.runtime)

$(DEV_STAMP): requirements.txt requirements-dev.txt
	$(call install,requirements-dev.txt,.dev)

migrate: venv
	$(BIN)/flask db upgrade

run: migrate
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Debian's nginx, installed when missing (it lives in /usr/sbin, often not on PATH).
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  echo "nginx is missing; installing Debian's nginx"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

# nginx on :8080 in front of two instances (MariaDB database signet_cluster, Redis, moto
# S3); Ctrl-C stops everything. deploy/cluster.py is the supervisor.
cluster: venv-dev nginx
	$(BIN)/python -m deploy.cluster

# Debian's Galera, mariabackup (SST), socat (its stream), HAProxy and the MariaDB server and
# client, installed when missing; none of them is run as a system service.
HA_PACKAGES := galera-4 mariadb-server mariadb-client mariadb-backup socat haproxy redis-server
ha-packages:
	@missing=""; for p in $(HA_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian's$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing; fi

# The topology that survives losing a machine: three Galera nodes behind HAProxy, Redis
# with a replica and three sentinels, S3 (moto), two instances behind nginx on
# http://127.0.0.1:8090 (HA_* variables move the ports). deploy/cluster_ha.py supervises.
cluster-ha: venv-dev nginx ha-packages
	$(BIN)/python -m deploy.cluster_ha

# The live cluster test needs nginx: a failed install leaves it skipped (failed under CI).
test: venv-dev $(NODE_STAMP)
	@$(MAKE) --no-print-directory nginx || echo "*** nginx could not be installed: the cluster tests will say so. ***"
	@$(MAKE) --no-print-directory ha-packages || echo "*** Galera/HAProxy could not be installed: the Galera test will say so. ***"
	@$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	@if $(BIN)/python -m tests.mysql_available "$(MYSQL_TEST_URL)"; then \
	  $(MAKE) --no-print-directory test-mysql; \
	elif [ "$$CI" = "true" ]; then \
	  echo "MariaDB is not reachable at $(MYSQL_TEST_URL): CI requires it. FAILED."; exit 1; \
	else \
	  echo ""; \
	  echo "*** MariaDB is not reachable at $(MYSQL_TEST_URL): the MariaDB suite was SKIPPED. ***"; \
	  echo "*** Only the SQLite suite ran. Start MariaDB (or set MYSQL_TEST_URL) to run both. ***"; \
	fi

# The quick loop while editing: SQLite, no gunicorn, nginx or Chromium (markers in pyproject.toml).
test-fast: venv-dev
	$(BIN)/pytest --db=sqlite -n $(TEST_WORKERS) -m "not live and not browser and not cluster"

test-sqlite: venv-dev $(NODE_STAMP)
	$(BIN)/pytest --db=sqlite -n $(TEST_WORKERS) --dist loadgroup

test-mysql: venv-dev $(NODE_STAMP)
	MYSQL_TEST_URL="$(MYSQL_TEST_URL)" $(BIN)/pytest --db=mysql -n $(TEST_WORKERS) --dist loadgroup

# The Postman collection with newman (pinned in package-lock.json) on a throw-away MariaDB.
postman: venv-dev
	npm ci --no-audit --no-fund
	bash postman/run.sh

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund

lint: venv-dev
	$(BIN)/ruff check .

# The documentation site (mkdocs.yml, docs/) into site/; --strict fails on a broken link,
# a missing page or a page left out of the nav.
docs: venv-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache site
