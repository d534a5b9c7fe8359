"""The benchmark runs and reports its fields (no timing assertions: speed is
measured by `python -m course.bench`, never asserted)."""

import pytest

from course import bench


def test_lenet_benchmark_reports(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    result = bench.bench_lenet(epochs=2, target=0.5, source="sample")
    assert result["data"] == "mnist-sample" and result["train_images"] == 4000
    assert result["images_per_second"] > 0
    assert result["epochs_to_target"] in (1, 2)  # 50% is reached within two epochs
    assert 0.5 <= result["final_test_accuracy"] <= 1.0


def test_cli_rejects_unknown_benchmarks():
    with pytest.raises(SystemExit):
        bench.main(["alexnet-on-imagenet"])
