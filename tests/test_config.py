"""Profiles, seeds, device report and paths."""

import keras
import numpy as np
import pytest

from course import config


@pytest.mark.parametrize(
    "value, expected",
    [("smoke", "smoke"), ("full", "full"), ("", "full"), (" Smoke ", "smoke")],
)
def test_profile(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_PROFILE", value)
    assert config.profile() == expected


def test_unknown_profile(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "huge")
    with pytest.raises(ValueError, match="Received: COURSE_PROFILE='huge'"):
        config.profile()


@pytest.mark.parametrize("profile, expected", [("smoke", 1), ("full", 20)])
def test_by_profile(monkeypatch, profile, expected):
    monkeypatch.setenv("COURSE_PROFILE", profile)
    assert config.by_profile(smoke=1, full=20, gpu=100) == expected  # no GPU here


@pytest.mark.parametrize(
    "profile, flag, expected",
    [
        ("smoke", "", True),
        ("full", "", False),
        ("full", "1", True),
        ("full", "0", False),
    ],
)
def test_offline(monkeypatch, profile, flag, expected):
    monkeypatch.setenv("COURSE_PROFILE", profile)
    monkeypatch.setenv("COURSE_OFFLINE", flag)
    assert config.offline() is expected


def test_set_seed_repeats():
    config.set_seed(3)
    first = (
        np.random.rand(),
        keras.ops.convert_to_numpy(keras.random.uniform((2,))).tolist(),
    )
    config.set_seed(3)
    assert first == (
        np.random.rand(),
        keras.ops.convert_to_numpy(keras.random.uniform((2,))).tolist(),
    )


@pytest.mark.parametrize(
    "seed, error",
    [(-1, ValueError), (1.5, TypeError), ("1", TypeError), (True, TypeError)],
)
def test_set_seed_rejects(seed, error):
    with pytest.raises(error, match="Received: seed="):
        config.set_seed(seed)


def test_device_report_on_cpu():
    report = config.device_report()
    assert report["backend"] == keras.backend.backend()
    assert report["keras"] == keras.__version__
    # XLA stays off on a CPU, except on JAX, which only runs compiled code.
    assert report["gpus"] == []
    assert report["xla"] is (keras.backend.backend() == "jax")
    assert report["mixed_precision"] is False


def test_mixed_precision_stays_off_on_cpu():
    try:
        assert config.use_mixed_precision(True) is False
        assert keras.config.dtype_policy().name == "float32"
    finally:
        keras.config.set_dtype_policy("float32")
    with pytest.raises(TypeError, match="Received: enable='yes'"):
        config.use_mixed_precision("yes")


def test_paths_follow_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSE_RUNS_DIR", str(tmp_path / "runs"))
    assert config.cache_dir() == tmp_path / "cache"
    assert config.runs_dir() == tmp_path / "runs"
    assert not (tmp_path / "cache").exists()  # created on demand only
    monkeypatch.delenv("COURSE_CACHE_DIR")
    assert config.cache_dir().name == "course"


@pytest.mark.parametrize(
    "devices, device, policy, jit",
    [
        (["cpu"], "cpu", "float32", False),
        (["/physical_device:CPU:0"], "cpu", "float32", False),
        (["/physical_device:GPU:0"], "gpu", "mixed_float16", True),
        (["cuda:0", "cuda:1"], "gpu", "mixed_float16", True),
        (["TFRT_CPU_0", "/physical_device:GPU:0"], "gpu", "mixed_float16", True),
        (["TPU_0(process=0,(0,0,0,0))"], "tpu", "mixed_bfloat16", True),
        ([], "cpu", "float32", False),
    ],
)
def test_device_defaults_decide_precision_and_xla(devices, device, policy, jit):
    defaults = config.device_defaults(devices)
    assert (defaults.device, defaults.dtype_policy, defaults.jit_compile) == (
        device,
        policy,
        jit,
    )
    assert defaults.mixed_precision is (policy != "float32")
    assert defaults.reason


def test_device_defaults_on_this_cpu():
    defaults = config.device_defaults()
    assert defaults.device == "cpu" and not defaults.mixed_precision


@pytest.mark.parametrize("devices", ["gpu", 3])
def test_device_defaults_reject(devices):
    with pytest.raises(TypeError, match="Received: devices="):
        config.device_defaults(devices)


@pytest.mark.parametrize(
    "devices, policy", [(["gpu:0"], "mixed_float16"), (["cpu:0"], "float32")]
)
def test_apply_device_defaults_sets_the_policy(devices, policy):
    try:
        applied = config.apply_device_defaults(devices)
        assert keras.config.dtype_policy().name == policy == applied.dtype_policy
        assert config.mixed_precision_enabled() is applied.mixed_precision
    finally:
        keras.config.set_dtype_policy("float32")
