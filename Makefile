# Every target that runs code first creates or refreshes .venv, so `make verify` and
# `make test` work on a machine that has only Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv verify test bench lint figures handout slides notebooks student-notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

verify: $(STAMP)  ## the step-by-step verification report of the notes
	@$(BIN)/python -m compileall -q elbo_derivation > /dev/null  # byte-code, as a wheel has it
	$(BIN)/elbo-derivation verify

# two processes (pytest-xdist): tests/conftest.py groups the tests that share work
TEST_WORKERS ?= 2

test: $(STAMP)  ## the whole test suite, notebooks and doctests included
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

bench: $(STAMP)  ## the figures the issues ask for (speed and accuracy)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)  ## ruff, and the import contracts of pyproject.toml (the package's layers)
	$(BIN)/ruff check elbo_derivation tests benchmarks
	$(BIN)/lint-imports

figures: $(STAMP)
	$(BIN)/elbo-derivation figures --out figures

handout: $(STAMP)  ## handout.html, handout.tex (and handout.pdf when pdflatex is installed)
	$(BIN)/elbo-derivation handout -o handout.html --latex handout.tex
	@if command -v pdflatex >/dev/null; then \
	  $(BIN)/python -c "import sys; from elbo_derivation.report.texcompile import build_pdf; \
	  sys.exit(0 if build_pdf('handout.tex').ok else 1)" && echo "wrote handout.pdf"; \
	fi

# the Beamer PDF needs two runs (its frame numbers and outline): `slides --pdf` makes them
slides: $(STAMP)  ## slides.html (offline deck), slides.tex (Beamer) and slides.pdf (with pdflatex)
	$(BIN)/elbo-derivation slides --html slides.html --beamer slides.tex \
	  $$(command -v pdflatex >/dev/null && echo --pdf)

student-notebooks: $(STAMP)  ## the notebooks without their worked solutions, in notebooks/student/
	$(BIN)/python notebooks/_build.py --without-solutions notebooks/student

notebooks: $(STAMP)  ## rebuild the notebooks from notebooks/_src, then run them
	$(BIN)/python notebooks/_build.py
	$(BIN)/python -m pytest tests/test_notebooks.py

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
