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


# By mode: the profile, whether a GPU is present, the rehearsal variable.
MODES = {
    "smoke": ("smoke", False, ""),
    "full": ("full", False, ""),
    "gpu": ("full", True, ""),
    "rehearsal": ("full", False, "2"),
}
NOT_GIVEN = object()  # the test's marker for "gpu= left out"


@pytest.mark.parametrize(
    "mode, gpu, expected",
    [
        ("smoke", 100, 1),
        ("smoke", None, 1),
        ("smoke", NOT_GIVEN, 1),
        ("full", 100, 20),
        ("full", None, 20),
        ("full", NOT_GIVEN, 20),
        ("gpu", 100, 100),
        ("gpu", None, None),  # an explicit None ("every image") is a value
        ("gpu", NOT_GIVEN, 20),
        ("rehearsal", 100, 100),
        ("rehearsal", None, None),
        ("rehearsal", NOT_GIVEN, 20),
    ],
)
def test_by_profile(monkeypatch, mode, gpu, expected):
    profile, has_gpu, rehearsal = MODES[mode]
    monkeypatch.setenv("COURSE_PROFILE", profile)
    monkeypatch.setenv(config.REHEARSAL_ENV, rehearsal)
    if has_gpu:
        monkeypatch.setattr(config, "gpus", lambda: ["/physical_device:GPU:0"])
    extra = {} if gpu is NOT_GIVEN else {"gpu": gpu}
    assert config.by_profile(smoke=1, full=20, **extra) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(None, None), ("", None), ("  ", None), ("2", 2), (" 3 ", 3), ("250", 250)],
)
def test_gpu_rehearsal(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    if value is None:
        monkeypatch.delenv(config.REHEARSAL_ENV, raising=False)
    else:
        monkeypatch.setenv(config.REHEARSAL_ENV, value)
    assert config.gpu_rehearsal() == expected
    assert config.device_report()["gpu_rehearsal"] == expected


@pytest.mark.parametrize(
    "value, shown",
    [
        ("0", "0"),
        ("-1", "-1"),
        ("abc", "'abc'"),
        ("1.5", "'1.5'"),
        ("2 steps", "'2 steps'"),
        ("0x10", "'0x10'"),
        ("true", "'true'"),
    ],
)
def test_gpu_rehearsal_rejects(monkeypatch, value, shown):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv(config.REHEARSAL_ENV, value)
    message = f"Received: COURSE_GPU_REHEARSAL={shown}$"
    with pytest.raises(ValueError, match=message):
        config.gpu_rehearsal()
    with pytest.raises(ValueError, match=message):  # a typo never goes unnoticed
        config.by_profile(smoke=1, full=20)


def test_gpu_rehearsal_refuses_the_smoke_profile(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv(config.REHEARSAL_ENV, "2")
    with pytest.raises(ValueError, match="Expected COURSE_PROFILE=full .* Received"):
        config.by_profile(smoke=1, full=20, gpu=100)


def test_gpu_rehearsal_leaves_the_hardware_report_true(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv(config.REHEARSAL_ENV, "2")
    assert config.gpus() == []
    assert config.device_defaults().device == "cpu"
    try:
        assert config.use_mixed_precision(True) is False
    finally:
        keras.config.set_dtype_policy("float32")


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


def test_cache_dir_rule_lives_in_course_fetch(monkeypatch, tmp_path):
    from course import fetch

    assert config.CACHE_ENV == fetch.CACHE_ENV == "COURSE_CACHE_DIR"
    for value in (str(tmp_path / "elsewhere"), None):
        if value is None:
            monkeypatch.delenv(fetch.CACHE_ENV, raising=False)
        else:
            monkeypatch.setenv(fetch.CACHE_ENV, value)
        assert config.cache_dir() == fetch.resolve_cache_dir()


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
