# The course's commands. Each target creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS ?= cpu,dev
STAMP := $(VENV)/.installed
# Two test processes (pytest-xdist; more would need more memory). loadscope keeps each notebook's cells, which share
# one kernel, in order in one process. PARALLEL= runs everything in one process.
PARALLEL ?= -n 2 --dist loadscope
JAX_TEST_FLAGS ?= XLA_FLAGS="--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"

.PHONY: course test lab tensorboard install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

course: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/python -m course.run_course

# Lint, unit tests, then every notebook through nbval in the smoke profile. Test runs
# log to build/test-runs so they never mix with the course's own runs/.
test: $(STAMP)
	$(BIN)/ruff check .
	COURSE_PROFILE=smoke COURSE_RUNS_DIR=$(CURDIR)/build/test-runs TF_CPP_MIN_LOG_LEVEL=3 \
		$(BIN)/python -m pytest -q -p no:cacheprovider $(PARALLEL) --durations=15 tests \
		--nbval-lax notebooks --nbval-sanitize-with tests/sanitize.cfg
	# The backend-agnostic modules must also work on JAX (no TensorFlow inside). Every
	# builder and block runs there at small sizes; the paper-size counts run on TF only.
	# The tensors are tiny, so XLA's compile time dominates: unoptimised compilation made
	# this pass about 4x faster on the slowest test (results are the same up to rounding).
	COURSE_PROFILE=smoke KERAS_BACKEND=jax $(JAX_TEST_FLAGS) $(BIN)/python -m pytest -q -p no:cacheprovider \
		$(PARALLEL) --durations=15 -m "not paper_scale" \
		tests/test_models.py tests/test_activations.py tests/test_plots.py \
		tests/test_config.py tests/test_results.py tests/test_arithmetic.py \
		tests/test_architectures.py tests/test_gradients.py tests/test_augment.py \
		tests/test_losses_metrics.py tests/test_unet.py tests/test_autoencoder.py \
		tests/test_atrous.py tests/test_bench.py tests/test_distribute.py

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

tensorboard: $(STAMP)
	$(BIN)/tensorboard --logdir runs/

clean:
	rm -rf build runs
