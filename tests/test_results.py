"""Lesson claims fail loudly; records are written whole."""

import json
import math

import pytest

from course import config, results


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
def test_claim(value, bounds, holds, capsys, monkeypatch):
    monkeypatch.delenv(config.REHEARSAL_ENV, raising=False)
    if holds:
        assert results.claim("accuracy", value, **bounds) == value
        assert "Claim holds: accuracy" in capsys.readouterr().out
    else:
        with pytest.raises(results.ClaimError, match="Claim failed: accuracy"):
            results.claim("accuracy", value, **bounds)


@pytest.mark.parametrize(
    "value, bounds, verdict",
    [
        (0.98, {"at_least": 0.975}, "Claim holds: accuracy: 0.98 (>= 0.975)."),
        (0.97, {"at_least": 0.975}, "Claim failed: accuracy: measured 0.97"),
        (1.5, {"at_most": 1.0}, "Claim failed: accuracy: measured 1.5"),
        (math.nan, {"at_least": 0.0}, "Claim failed: accuracy: measured nan"),
    ],
)
def test_claim_in_a_gpu_rehearsal_reports_without_raising(
    value, bounds, verdict, capsys, monkeypatch
):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv(config.REHEARSAL_ENV, "2")
    returned = results.claim("accuracy", value, **bounds)
    assert returned == value or math.isnan(returned)
    out = capsys.readouterr().out
    assert out.startswith(verdict)
    failed = verdict.startswith("Claim failed")
    assert ("Not raised: GPU rehearsal (COURSE_GPU_REHEARSAL=2)" in out) is failed


@pytest.mark.parametrize("rehearsal", ["", "2"])
def test_claim_needs_a_bound(monkeypatch, rehearsal):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv(config.REHEARSAL_ENV, rehearsal)
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


def test_compare_prints_both_runs_side_by_side(capsys, monkeypatch):
    monkeypatch.setenv(config.PROFILE_ENV, "smoke")
    rows = results.compare(
        {"U-Net / plain": 0.2234, "epochs": 61706, "full only": None, "fps": 1658.4},
        {
            "U-Net / plain": 0.22,
            "epochs": 14,
            "full only": 0.5,
            "fps": 5083,
            "unused": 1,
        },
        data="synthetic-nuclei",
        reference_run="full profile, CPU (2 cores), synthetic-nuclei, 2026-11-29",
    )
    assert rows == [
        ("U-Net / plain", 0.2234, 0.22),
        ("epochs", 61706, 14),
        ("full only", None, 0.5),
        ("fps", 1658.4, 5083),
    ]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("this run:") and "smoke profile" in lines[0]
    assert "synthetic-nuclei" in lines[0]
    assert lines[1].endswith(
        "full profile, CPU (2 cores), synthetic-nuclei, 2026-11-29"
    )
    assert lines[3].split() == ["U-Net", "/", "plain", "0.223", "0.22"]
    assert lines[4].split() == ["epochs", "61,706", "14"]  # integers in full
    assert lines[5].split()[-2:] == ["-", "0.5"]
    assert lines[6].split() == ["fps", "1,658", "5,083"]  # not 1.66e+03


@pytest.mark.parametrize(
    "figures, reference, run, error, name",
    [
        ({"a": 1}, {"b": 1}, "ref", ValueError, "reference"),
        ([("a", 1)], {"a": 1}, "ref", TypeError, "figures"),
        ({"a": 1}, None, "ref", TypeError, "reference"),
        ({"a": 1}, {"a": 1}, 3, TypeError, "reference_run"),
    ],
)
def test_compare_rejects_bad_tables(figures, reference, run, error, name):
    with pytest.raises(error, match=rf"Received: {name}="):
        results.compare(figures, reference, data="x", reference_run=run)
