"""Lesson claims fail loudly; records are written whole."""

import json
import math

import pytest

from course import results


@pytest.mark.parametrize(
    "value, bounds, holds",
    [
        (0.98, {"at_least": 0.975}, True),
        (0.97, {"at_least": 0.975}, False),
        (0.5, {"at_least": 0.0, "at_most": 1.0}, True),
        (1.5, {"at_most": 1.0}, False),
        (math.nan, {"at_least": 0.0}, False),
    ],
)
def test_claim(value, bounds, holds, capsys):
    if holds:
        assert results.claim("accuracy", value, **bounds) == value
        assert "Claim holds: accuracy" in capsys.readouterr().out
    else:
        with pytest.raises(results.ClaimError, match="Claim failed: accuracy"):
            results.claim("accuracy", value, **bounds)


def test_claim_needs_a_bound():
    with pytest.raises(ValueError, match="Received: at_least=None"):
        results.claim("accuracy", 1.0)


def test_record_writes_json_atomically(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path))
    entry = results.record(
        "04_lenet", metric="test accuracy", value=0.98, data="mnist-sample"
    )
    assert json.loads((tmp_path / "04_lenet.json").read_text()) == entry
    assert [p.name for p in tmp_path.iterdir()] == ["04_lenet.json"]  # no temp files
    assert results.load(tmp_path)["04_lenet"]["value"] == 0.98


def test_record_without_a_results_dir_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(results.RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    results.record("00_start_here", metric="accuracy", value=1, data="x")
    assert list(tmp_path.iterdir()) == []
