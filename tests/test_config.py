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
    assert report["gpus"] == [] and report["xla"] is False
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
