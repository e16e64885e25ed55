# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# A database `make bench` wipes (the bulk-import bench on PostgreSQL); created when missing.
BENCH_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/kb_bench_import

.PHONY: install run test lint bench demo-pdfs clean

install: $(BIN)/kb

# Re-install only when the dependency pins change.
$(BIN)/kb: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(BIN)/kb

run: install
	$(BIN)/kb init
	$(BIN)/kb demo
	$(BIN)/kb serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest

# Lint and type check (CI runs this before the tests).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ocr.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/workers.py
	$(BIN)/python bench/regulatory.py
	$(BIN)/python bench/hs_suggest.py
	$(BIN)/python bench/suggestion_queue.py
	$(BIN)/python bench/review_queue.py
	$(BIN)/python bench/confidence.py
	$(BIN)/python bench/notify.py
	$(BIN)/python bench/upload_bomb.py
	$(BIN)/python bench/index_healing.py
	$(BIN)/python bench/search_memory.py
	$(BIN)/python bench/search_during_import.py
	$(BIN)/python bench/search_during_import.py --writer kb-import --workers 2 --load-seconds 150
	$(BIN)/python bench/upload_jobs.py
	$(BIN)/python bench/observability.py
	$(BIN)/python bench/backup.py
	$(BIN)/python bench/bulk_import.py
	$(BIN)/python bench/bulk_import.py --database-url $(BENCH_POSTGRES_URL)
	$(BIN)/python bench/data_version.py

# The demo PDFs are committed; this regenerates them from their script.
demo-pdfs: install
	$(BIN)/python scripts/make_demo_pdfs.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
