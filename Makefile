# The course's commands. Each target creates the environments it needs when missing.
#
# Two environments, both installed from the same wheel of the package (never an
# editable install, so nothing can reach for a file of the checkout):
#   .venv         Google Colab's runtime: every package Colab pins, at Colab's version
#                 (constraints/colab.txt; tools/constraints.py applies the few local
#                 differences listed in constraints/local.txt). The notebooks run here,
#                 in make course, make lab and make test: what students run.
#   .venv-latest  the newest releases the declared ranges allow: the unit tests run here,
#                 so the next Colab update holds no surprise.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
LATEST := .venv-latest
LATEST_BIN := $(LATEST)/bin
EXTRAS ?= cpu,dev
STAMP := $(VENV)/.installed
LATEST_STAMP := $(LATEST)/.installed
CONSTRAINTS := build/constraints.txt
WHEEL := build/dist/course-0.1.0-py3-none-any.whl
SOURCES := $(shell find course -type f -name '*.py')
# Two test processes (pytest-xdist; more would need more memory). loadscope keeps each notebook's cells, which share
# one kernel, in order in one process. PARALLEL= runs everything in one process.
PARALLEL ?= -n 2 --dist loadscope
PYTEST_FLAGS := -q -p no:cacheprovider --durations=15 -c pyproject.toml --rootdir=$(CURDIR)
JAX_TEST_FLAGS ?= XLA_FLAGS="--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
# The GPU rehearsal (tests/test_gpu_branch.py) of notebooks 06 and 12 takes about 3
# and 4 minutes on 2 cores (six CIFAR nets traced at GPU size; ResNet-18 in float16,
# which a CPU computes without fast kernels), and 05's about 50 s (eight paper-size
# networks built, six race runs and two nets traced at GPU size): with the longer
# smoke runs of 05 and 10's fair experiments, make test measured 13.8 and 14.7 minutes
# with 05's rehearsal inside, too close to its 15. make test-gpu-branch runs all three.
SLOW_REHEARSALS := --deselect "tests/test_gpu_branch.py::test_gpu_branch[06_inception_resnet_densenet]" \
	--deselect "tests/test_gpu_branch.py::test_gpu_branch[12_scaling_up]" \
	--deselect "tests/test_gpu_branch.py::test_gpu_branch[05_alexnet_and_vgg]"
# PYTHONDONTWRITEBYTECODE is emptied so that the first import of TensorFlow writes its
# .pyc files: where the variable is set, every kernel and test process compiled
# TensorFlow's sources again (18 s per notebook, measured).
TEST_ENV := COURSE_PROFILE=smoke COURSE_RUNS_DIR=$(CURDIR)/build/test-runs TF_CPP_MIN_LOG_LEVEL=3 \
	PYTHONDONTWRITEBYTECODE=

JAX_CORE := tests/test_models.py tests/test_architectures.py tests/test_activations.py \
	tests/test_gradients.py tests/test_losses_metrics.py tests/test_uncertainty.py
JAX_MORE := tests/test_unet.py tests/test_autoencoder.py tests/test_atrous.py \
	tests/test_plots.py tests/test_config.py tests/test_results.py \
	tests/test_arithmetic.py tests/test_augment.py tests/test_bench.py \
	tests/test_distribute.py tests/test_validate.py tests/test_probes.py \
	tests/test_training_state.py

.PHONY: course test test-jax test-gpu-branch test-claims lab tensorboard tensorboard-check install clean

# uv installs the environments (several times faster than pip: parallel downloads and
# installs); pip stays in .venv for the wheel build and for tests/test_environment.py,
# which resolves the course as pip in Colab would. uv compiles no .pyc files up front
# (compiling all of TensorFlow and JAX that way took minutes); the tests write them
# lazily, see TEST_ENV.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(UV): $(BIN)/python
	$(BIN)/python -m pip install --quiet uv

$(LATEST_BIN)/python: $(UV)
	$(PYTHON) -m venv --without-pip $(LATEST)

# The wheel is built from a copy of the sources, so files deleted from course/ cannot
# linger in setuptools' build folder and slip into the package.
$(WHEEL): $(BIN)/python pyproject.toml README.md $(SOURCES)
	rm -rf build/wheel-src build/dist
	mkdir -p build/wheel-src
	cp -r pyproject.toml README.md course build/wheel-src/
	$(BIN)/python -m pip wheel --quiet --no-deps -w build/dist build/wheel-src
	rm -rf build/wheel-src

$(CONSTRAINTS): constraints/colab.txt constraints/local.txt tools/constraints.py
	$(PYTHON) tools/constraints.py $@

# Dependencies: reinstalled when the dependency lists change.
$(STAMP): $(UV) pyproject.toml $(CONSTRAINTS) | $(WHEEL)
	$(UV) pip install --quiet --python $(BIN)/python \
		-c $(CONSTRAINTS) "$(WHEEL)[$(EXTRAS)]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

$(LATEST_STAMP): $(LATEST_BIN)/python pyproject.toml | $(WHEEL)
	$(UV) pip install --quiet --python $(LATEST_BIN)/python --upgrade \
		"$(WHEEL)[cpu,test]"
	touch $(LATEST_STAMP)

# The package itself: reinstalled from the wheel whenever a source file changes.
$(VENV)/.course: $(STAMP) $(WHEEL)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps \
		--reinstall --refresh $(WHEEL)
	touch $@

$(LATEST)/.course: $(LATEST_STAMP) $(WHEEL)
	$(UV) pip install --quiet --python $(LATEST_BIN)/python --no-deps \
		--reinstall --refresh $(WHEEL)
	touch $@

install: $(VENV)/.course

course: $(VENV)/.course
	COURSE_RUNS_DIR=$(CURDIR)/runs TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/python -m course.run_course --root $(CURDIR)

# Lint; every notebook through nbval in the smoke profile, in the Colab environment,
# from a copy in an empty temporary folder (as in Colab's /content: a notebook that
# reaches for a file of the checkout fails), plus the tests of the environment itself
# and of the notebooks' GPU branch; then the unit tests on the newest releases, and the
# backend-portable modules once more on JAX. Test runs log to build/test-runs so they
# never mix with the course's own runs/. The pytest binaries (not python -m pytest)
# keep the checkout off sys.path, so the installed package is what runs.
test: $(VENV)/.course $(LATEST)/.course
	$(BIN)/ruff check .
	$(BIN)/python tools/versions.py "Colab environment"
	notebooks=$$(mktemp -d "$${TMPDIR:-/tmp}/course-notebooks.XXXXXX") && \
	cp notebooks/*.ipynb notebooks/conftest.py "$$notebooks"/ && \
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_FLAGS) $(PARALLEL) \
		--nbval-lax "$$notebooks" --nbval-sanitize-with tests/sanitize.cfg \
		--nbval-cell-timeout=300 tests/test_environment.py tests/test_gpu_branch.py \
		$(SLOW_REHEARSALS); \
	status=$$?; rm -rf "$$notebooks"; exit $$status
	$(LATEST_BIN)/python tools/versions.py "Newest releases"
	$(TEST_ENV) $(LATEST_BIN)/pytest $(PYTEST_FLAGS) $(PARALLEL) tests \
		--ignore=tests/test_environment.py --ignore=tests/test_gpu_branch.py \
		--ignore=tests/test_claims_have_teeth.py
	# The backend-agnostic modules must also work on JAX (no TensorFlow inside). Every
	# builder and block runs there at small sizes; the paper-size counts run on TF only.
	# The tensors are tiny, so XLA's compile time dominates: unoptimised compilation made
	# this pass about 4x faster on the slowest test (results are the same up to rounding).
	# make test runs the builders, blocks, losses and metrics there (JAX_CORE); the other
	# portable modules (plots, arithmetic, augmentation, benchmarks, distribution, ...)
	# run on JAX in make test-jax: with lecture 13 added, make test measured 15 min 26 s
	# with all of them inside. The U-Net, autoencoder and atrous builders' JAX runs moved
	# there too when a slow phase of this machine took make test to 15 min 33 s (their
	# TensorFlow runs stay in make test's newest-releases pass).
	$(TEST_ENV) KERAS_BACKEND=jax $(JAX_TEST_FLAGS) $(LATEST_BIN)/pytest $(PYTEST_FLAGS) \
		$(PARALLEL) -m "not paper_scale" $(JAX_CORE)

# Every backend-portable module's tests on JAX (make test runs JAX_CORE of them).
test-jax: $(LATEST)/.course
	$(TEST_ENV) KERAS_BACKEND=jax $(JAX_TEST_FLAGS) $(LATEST_BIN)/pytest $(PYTEST_FLAGS) \
		$(PARALLEL) -m "not paper_scale" $(JAX_CORE) $(JAX_MORE)

# Every notebook's GPU values, two training steps each, on this CPU (about 8 minutes).
test-gpu-branch: $(VENV)/.course
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_FLAGS) -s tests/test_gpu_branch.py

# The smoke claims have teeth: each lesson with its mechanism removed must fail its
# claim (about 1 minute; outside make test, whose 15 minutes it would overrun).
test-claims: $(VENV)/.course
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_FLAGS) $(PARALLEL) tests/test_claims_have_teeth.py

lab: $(VENV)/.course
	COURSE_RUNS_DIR=$(CURDIR)/runs $(BIN)/jupyter lab notebooks/

tensorboard: $(VENV)/.course
	$(BIN)/tensorboard --logdir runs/

# What TensorBoard's data API lists for runs/: plugins, runs, tags, HParams sessions,
# projector runs and profiler traces (a server on 127.0.0.1, stopped afterwards).
tensorboard-check: $(VENV)/.course
	$(BIN)/python -m course.tensorboard.server runs/

clean:
	rm -rf build runs
