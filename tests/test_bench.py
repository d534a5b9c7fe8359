"""The benchmarks run and report a consistent schema (no timing assertions: speed is
measured by `python -m course.bench`, never asserted)."""

import json

import numpy as np
import pytest

from course import arithmetic, bench, models

_real_matmul = bench.matmul_gflops


def _small_matmul(**kwargs):
    return _real_matmul(size=64, repeats=2, dtype=kwargs.get("dtype", "float32"))


@pytest.fixture
def small_matmul(monkeypatch):
    # Where the benchmarks look it up (bench.matmul_gflops is a re-export).
    monkeypatch.setattr(bench.meter, "matmul_gflops", _small_matmul)


TINY = {
    "resnet18": {
        "steps": 1,
        "epochs": 2,
        "batch_size": 2,
        "image_size": 8,
        "data_source": "random",
    },
    "unet": {
        "steps": 1,
        "epochs": 2,
        "batch_size": 1,
        "image_size": 32,
        "base_filters": 4,
    },
}


def _check_result(result, matmul=None):
    assert set(result) == set(bench.RESULT_KEYS)
    assert result["images_per_second"] > 0
    assert result["train_flops_per_image"] == 6 * result["macs_per_image"]
    achieved = result["images_per_second"] * result["train_flops_per_image"] / 1e9
    assert result["train_gflops_per_second"] == pytest.approx(achieved, rel=1e-3)
    if matmul is not None:
        assert result["matmul_gflops_per_second"] == matmul["gflops_per_second"]
    assert result["matmul_fraction"] == pytest.approx(
        result["train_gflops_per_second"] / result["matmul_gflops_per_second"],
        rel=1e-3,
    )
    assert result["peak_memory_bytes"] > 0 and result["peak_memory_source"]
    assert result["backend"] in ("tensorflow", "jax")


def test_lenet_benchmark_reaches_its_target(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    matmul = _small_matmul()
    result = bench.bench_lenet(epochs=2, target=0.5, source="sample", matmul=matmul)
    _check_result(result, matmul)
    assert result["data"] == "mnist-sample" and result["steps_per_epoch"] == 125
    assert result["epochs_to_target"] in (1, 2)  # 50% is reached within two epochs
    assert result["time_to_target_seconds"] > 0
    assert 0.5 <= result["final_accuracy"] <= 1.0
    # LeNet-5's forward pass: 416,520 multiply-accumulates per digit.
    assert result["macs_per_image"] == 416_520


def test_report_schema_and_flop_fraction(small_matmul):
    import keras

    # On JAX the U-Net part (XLA compilation) adds half a minute; the CLI test
    # below runs the U-Net benchmark on every backend already.
    names = (
        ["resnet18", "unet"]
        if keras.backend.backend() == "tensorflow"
        else ["resnet18"]
    )
    report = bench.run(names, overrides=TINY)
    assert report["schema"] == bench.SCHEMA_VERSION
    assert report["matmul"]["size"] == 64
    assert [r["benchmark"] for r in report["results"]] == names
    for result in report["results"]:
        _check_result(result, report["matmul"])
        assert result["pipeline"] == "tuned" and result["precision"] == "float32"
        assert result["target_accuracy"] is None
    resnet = models.resnet(18, stem="cifar", input_shape=(8, 8, 3), num_classes=10)
    assert report["results"][0]["macs_per_image"] == arithmetic.count_macs(resnet)
    table = bench.format_table(report)
    assert all(name in table for name in names) and "n/a" in table
    assert f"{report['results'][0]['matmul_fraction']:.0%}" in table
    assert "peak memory: process RSS" in table


def test_cli_runs_every_option_and_writes_json(
    small_matmul, monkeypatch, tmp_path, capsys
):
    import keras

    before = keras.config.dtype_policy().name
    monkeypatch.setitem(bench.SIZES["unet"], "quick", TINY["unet"])
    path = tmp_path / "out" / "bench.json"
    options = ["--pipeline", "naive", "--precision", "mixed_bfloat16", "--jit", "on"]
    argv = ["unet", "--quick", *options, "--json", str(path)]
    assert bench.main(argv) == 0
    assert keras.config.dtype_policy().name == before  # restored afterwards
    printed = capsys.readouterr().out
    assert "images/s" in printed and "unet" in printed and str(path) in printed
    assert "naive, mixed_bfloat16, XLA on" in printed
    report = json.loads(path.read_text())
    assert report["command"][-len(argv) :] == argv
    assert report["matmul"]["dtype"] == "float32"
    (result,) = report["results"]
    _check_result(result)
    assert result["pipeline"] == "naive" and result["precision"] == "mixed_bfloat16"
    assert result["jit_compile"] is True and result["steps_per_epoch"] == 1
    assert result["data"] == "synthetic-nuclei"
    assert report["device"]["backend"] == result["backend"]
    assert [p.name for p in path.parent.iterdir()] == ["bench.json"]  # no temp file


def test_memory_meter_sees_an_allocation():
    with bench.MemoryMeter() as meter:
        block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
    assert meter.increase_bytes >= 48 * 2**20
    assert meter.peak_bytes >= meter.increase_bytes
    assert "RSS" in meter.source
    del block


def test_write_json_replaces_atomically(tmp_path):
    path = tmp_path / "r.json"
    bench.write_json({"a": 1}, path)
    bench.write_json({"a": 2}, path)
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize(
    "function, kwargs, match",
    [
        (bench.bench_resnet18, {"pipeline": "fast"}, "Received: pipeline='fast'"),
        (bench.bench_resnet18, {"precision": "float64"}, "Received: precision="),
        (bench.bench_resnet18, {"jit": "yes"}, "Received: jit='yes'"),
        (bench.bench_resnet18, {"epochs": 1}, "Received: epochs=1"),
        (bench.bench_resnet18, {"batch_size": 0}, "Received: batch_size=0"),
        (bench.bench_resnet18, {"image_size": 16}, "Received: image_size=16"),
        (bench.bench_resnet18, {"data_source": "cifar"}, "Received: data_source="),
        (bench.bench_unet, {"image_size": 100}, "Received: image_size=100"),
        (bench.bench_unet, {"base_filters": 0}, "Received: base_filters=0"),
        (bench.bench_lenet, {"target": 1.5}, "Received: target=1.5"),
        (bench.matmul_gflops, {"size": 0}, "Received: size=0"),
        (bench.matmul_gflops, {"dtype": "int8"}, "Received: dtype='int8'"),
        (bench.run, {"benchmarks": []}, "Received: benchmarks=\\[\\]"),
        (bench.run, {"benchmarks": "lenet"}, "Received: benchmarks='lenet'"),
        (bench.run, {"benchmarks": ["alexnet"]}, "Received: benchmarks='alexnet'"),
        (bench.run, {"benchmarks": ["lenet"], "jit": 1}, "Received: jit=1"),
        (bench.compare, {"benchmark": "vgg", "settings": [{}]}, "benchmark='vgg'"),
        (bench.compare, {"benchmark": "unet", "settings": []}, "settings=\\[\\]"),
        (
            bench.compare,
            {"benchmark": "unet", "settings": [{"batch": 2}]},
            "keys from",
        ),
        (
            bench.compare,
            {"benchmark": "unet", "settings": [{"jit": "maybe"}]},
            "Received: jit='maybe'",
        ),
    ],
)
def test_bad_arguments_fail_before_measuring(function, kwargs, match):
    with pytest.raises(ValueError, match=match):
        function(**kwargs)


@pytest.mark.parametrize(
    "argv",
    [["alexnet-on-imagenet"], ["lenet", "--precision", "float64"], ["--jit", "x"]],
)
def test_cli_rejects_bad_arguments(argv):
    with pytest.raises(SystemExit) as error:
        bench.main(argv)
    assert error.value.code == 2
