"""Data-parallel training with course.training.distribute, on this machine's CPU.

Two logical CPU devices stand in for two GPUs (TensorFlow MirroredStrategy), and two
local processes meeting on 127.0.0.1 stand in for two machines (JAX). Both must
keep every replica identical and end where one device training on the same global
batches ends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import course
from course import training

# The worker ships in the package, so it runs from an installed course as well.
WORKER = [sys.executable, "-m", "course.distributed_worker"]
# The folder holding the `course` these tests import: the workers must run the same
# code, whether that is a checkout or an installed copy.
PACKAGE_PARENT = Path(course.__file__).resolve().parents[1]
TIMEOUT = 100  # seconds for a whole case; each takes about 10 s on 2 cores


def _environment(backend):
    env = dict(os.environ)
    env.update(
        KERAS_BACKEND=backend,
        TF_CPP_MIN_LOG_LEVEL="3",
        JAX_PLATFORMS="cpu",
        PYTHONPATH=os.pathsep.join(
            p for p in (str(PACKAGE_PARENT), env.get("PYTHONPATH")) if p
        ),
    )
    # Each process must see exactly one CPU device unless it sets more up itself.
    env.pop("XLA_FLAGS", None)
    return env


def _run_all(commands, backend):
    processes = [
        subprocess.Popen(
            [*WORKER, *map(str, command)],
            env=_environment(backend),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for command in commands
    ]
    try:
        outputs = [p.communicate(timeout=TIMEOUT)[0] for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The workers choose their own backend, so these two run once, in the TensorFlow pass
# of make test, not again in the JAX pass.
once = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="run in the TensorFlow pass"
)


@once
def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    out = tmp_path / "mirrored.npz"
    _run_all([["mirrored", out]], "tensorflow")
    saved = np.load(out, allow_pickle=False)
    names = sorted(k.split("/", 1)[1] for k in saved.files if k.startswith("single/"))
    assert any("conv" in n for n in names) and any("predictions" in n for n in names)
    for name in names:
        first, second = saved[f"replica0/{name}"], saved[f"replica1/{name}"]
        np.testing.assert_array_equal(first, second, err_msg=name)  # in sync
        np.testing.assert_allclose(
            first, saved[f"single/{name}"], rtol=1e-4, atol=1e-5, err_msg=name
        )
    # Training moved the weights: the comparison is not between initial values.
    assert not np.allclose(saved["replica0/predictions.bias"], 0.0)


@once
def test_jax_data_parallel_across_two_processes(tmp_path):
    port = _free_port()
    outs = [tmp_path / f"process{i}.npz" for i in range(2)]
    _run_all([["jax", outs[i], port, 2, i] for i in range(2)], "jax")
    first, second = (np.load(p, allow_pickle=False) for p in outs)
    assert int(first["num_replicas"]) == int(second["num_replicas"]) == 2
    names = sorted(k.split("/", 1)[1] for k in first.files if k.startswith("single/"))
    assert any("conv" in n for n in names) and any("predictions" in n for n in names)
    for name in names:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
        np.testing.assert_allclose(
            first[name], first[f"single/{name}"], rtol=1e-4, atol=1e-5, err_msg=name
        )
    assert not np.allclose(first["predictions.bias"], 0.0)


# ------------------------------------------------------------------ in-process parts


def test_single_device_distribution_is_a_no_op():
    dist = training.distribute("none")
    assert dist.strategy == "none" and dist.num_replicas == 1
    assert dist.num_processes == 1 and dist.is_chief
    assert dist.global_batch_size(16) == dist.local_batch_size(16) == 16
    x = np.arange(10)
    assert dist.shard(x, 4) is x
    with dist.scope():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="d")])
    assert model.count_params() == 3


def test_auto_picks_no_distribution_on_one_cpu():
    assert training.distribute("auto").strategy == "none"


@pytest.mark.parametrize(
    "num_processes, process_id, expected",
    [
        (2, 0, [0, 1, 4, 5]),
        (2, 1, [2, 3, 6, 7]),
        (4, 3, [3, 7]),
    ],
)
def test_shard_takes_this_process_rows_of_every_global_batch(
    num_processes, process_id, expected
):
    dist = training.Distribution(
        "data_parallel",
        keras.backend.backend(),
        [f"cpu:{i}" for i in range(num_processes)],
        num_processes=num_processes,
        process_id=process_id,
    )
    # Ten rows, global batches of four: two whole batches, two rows dropped.
    assert dist.shard(np.arange(10), 4).tolist() == expected
    assert dist.local_batch_size(3) == 3
    # A global batch must split evenly between the processes.
    bad = 6 if num_processes == 4 else 5
    with pytest.raises(ValueError, match=f"Received: global_batch_size={bad}"):
        dist.shard(np.arange(10), bad)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"strategy": "parameter_server"}, "Received: strategy='parameter_server'"),
        ({"devices": "cpu:0"}, "Received: devices='cpu:0'"),
        ({"devices": []}, "Received: devices=\\[\\]"),
        ({"devices": ["cpu:0", "cpu:0"]}, "Expected devices to be distinct"),
        ({"num_processes": 2}, "given together"),
        (
            {"coordinator_address": "localhost", "num_processes": 2, "process_id": 0},
            "Received: coordinator_address='localhost'",
        ),
        (
            {"coordinator_address": "h:99999", "num_processes": 2, "process_id": 0},
            "port in 1..65535",
        ),
        (
            {"coordinator_address": "h:1234", "num_processes": 2, "process_id": 2},
            "Received: process_id=2",
        ),
        (
            {"coordinator_address": "h:1234", "num_processes": 0, "process_id": 0},
            "Received: num_processes=0",
        ),
    ],
)
def test_distribute_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        training.distribute(**kwargs)


def test_distribute_rejects_strategies_of_the_other_engine():
    other = "data_parallel" if keras.backend.backend() == "tensorflow" else "mirrored"
    with pytest.raises(ValueError, match=f"Received: strategy='{other}'"):
        training.distribute(other)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="TensorFlow's multi-worker limit"
)
def test_tensorflow_refuses_several_machines():
    with pytest.raises(ValueError, match="MultiWorkerMirroredStrategy"):
        training.distribute(
            "mirrored",
            coordinator_address="127.0.0.1:1234",
            num_processes=2,
            process_id=0,
        )


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_batch_rules_reject_bad_sizes(value):
    dist = training.distribute("none")
    with pytest.raises((TypeError, ValueError), match="Received: per_replica="):
        dist.global_batch_size(value)


@pytest.mark.parametrize(
    "argv", [[], ["bogus", "out.npz"], ["jax", "out.npz", "port", "2", "0"]]
)
def test_worker_rejects_bad_command_lines(argv, capsys):
    from course import distributed_worker

    with pytest.raises(SystemExit) as raised:
        distributed_worker.main(argv)
    assert raised.value.code == 2
    assert "usage: python -m course.distributed_worker" in capsys.readouterr().err
