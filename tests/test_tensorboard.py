"""Tests for course.tensorboard: the event files each feature promises, read back
from disk, and what a real TensorBoard server on 127.0.0.1 makes of them."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util

from course import config, training
from course import tensorboard as tb

X = np.random.default_rng(0).random((12, 8, 8, 1)).astype("float32")
Y = np.arange(12) % 3


def events(folder):
    """Every summary value in a run folder (not its sub-runs): (tag, step, value)."""
    found = []
    for path in sorted(Path(folder).glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                found.append((value.tag, event.step, value))
    return found


def tags(folder):
    return {tag for tag, _, _ in events(folder)}


def tiny_model(outputs=3, activation="softmax"):
    inputs = keras.Input((8, 8, 1), name="inputs")
    hidden = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    if activation == "sigmoid":  # a per-pixel mask
        outputs_ = keras.layers.Conv2D(1, 1, activation="sigmoid", name="mask")(hidden)
    else:
        flat = keras.layers.Flatten(name="flatten")(hidden)
        outputs_ = keras.layers.Dense(
            outputs, activation=activation, name="predictions"
        )(flat)
    return keras.Model(inputs, outputs_, name="tiny")


@pytest.fixture(autouse=True)
def _notebook_context(monkeypatch):
    # A context of its own, so no other test sees this one's notebook and data.
    monkeypatch.setattr(
        config, "_CONTEXT", {"notebook": None, "parameters": {}, "data": []}
    )
    config.set_notebook("99_test", {"SEED": 3, "DEPTHS": (8, 20), "_PRIVATE": 1})


# -------------------------------------------------------------------- the writer


def test_writer_round_trip(tmp_path):
    with tb.EventWriter(tmp_path) as writer:
        writer.scalar("loss", 0.5, step=2)
        writer.text("note", "*hello*")
        writer.images("pictures", X[:3], step=1)
    found = {tag: (step, value) for tag, step, value in events(tmp_path)}
    stamps = [
        event.wall_time
        for path in tmp_path.glob("events.out.tfevents.*")
        for event in EventFileLoader(str(path)).Load()
        if event.summary.value
    ]
    assert all(stamp > 1.7e9 for stamp in stamps)  # real times, not 1970
    step, value = found["loss"]
    assert step == 2 and tensor_util.make_ndarray(value.tensor) == np.float32(0.5)
    assert value.metadata.plugin_data.plugin_name == "scalars"
    text = tensor_util.make_ndarray(found["note"][1].tensor)
    assert text.item() == b"*hello*"
    step, value = found["pictures"]
    data = tensor_util.make_ndarray(value.tensor)
    # width, height, then one PNG per image
    assert step == 1 and data[0] == b"8" and data[1] == b"8" and len(data) == 5
    assert all(png.startswith(b"\x89PNG") for png in data[2:])


@pytest.mark.parametrize(
    "images, shape",
    [
        (np.zeros((2, 5, 6)), (2, 5, 6, 1)),
        (np.ones((1, 4, 4, 3)), (1, 4, 4, 3)),
        (np.full((1, 2, 2, 4), 2.0), (1, 2, 2, 4)),  # clipped to 1 -> 255
        (np.zeros((1, 3, 3, 1), np.uint8), (1, 3, 3, 1)),
    ],
)
def test_to_uint8_images(images, shape):
    array = tb.to_uint8_images(images)
    assert array.shape == shape and array.dtype == np.uint8
    assert array.max() <= 255


@pytest.mark.parametrize(
    "images", [np.zeros((4, 4)), np.zeros((1, 4, 4, 2)), np.zeros((0, 4, 4, 1))]
)
def test_to_uint8_images_rejects_bad_batches(images):
    with pytest.raises(ValueError, match="Received: images.shape="):
        tb.to_uint8_images(images)


# -------------------------------------------- provenance and HParams via callbacks


def test_every_run_writes_its_provenance(tmp_path):
    from course.data.common import DataSplits

    DataSplits(X, Y, X, Y, ("a", "b", "c"), "unit-test-data")
    cbs = training.callbacks("99_prov", runs_dir=tmp_path, backup=False)
    (value,) = [v for tag, _, v in events(cbs.run_dir) if tag == tb.PROVENANCE_TAG]
    text = tensor_util.make_ndarray(value.tensor).item().decode()
    assert value.metadata.plugin_data.plugin_name == "text"
    for expected in ("99_test", "99_prov", "unit-test-data", "| SEED | 3 |", "(8, 20)"):
        assert expected in text
    assert "_PRIVATE" not in text


def test_no_tensorboard_writes_nothing(tmp_path):
    cbs = training.callbacks("99_quiet", runs_dir=tmp_path, tensorboard=False)
    assert events(cbs.run_dir) == []


def test_hparams_session(tmp_path):
    settings = {"depth": np.int64(20), "kind": "plain", "rate": 0.1, "sizes": (1, 2)}
    cbs = training.callbacks(
        "99_hp", runs_dir=tmp_path, backup=False, checkpoint=False, hparams=settings
    )
    (value,) = [v for tag, _, v in events(cbs.run_dir) if tag.startswith("_hparams_")]
    assert value.metadata.plugin_data.plugin_name == "hparams"
    data = plugin_data_pb2.HParamsPluginData.FromString(
        value.metadata.plugin_data.content
    )
    stored = data.session_start_info.hparams
    assert stored["depth"].number_value == 20 and stored["rate"].number_value == 0.1
    assert stored["kind"].string_value == "plain"
    assert stored["sizes"].string_value == "(1, 2)"
    text = tensor_util.make_ndarray(
        [v for tag, _, v in events(cbs.run_dir) if tag == tb.PROVENANCE_TAG][0].tensor
    )
    assert "This run's settings" in text.item().decode()


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"hparams": {"a": 1}, "tensorboard": False}, ValueError, "hparams"),
        ({"hparams": [("a", 1)]}, TypeError, "hparams"),
        ({"hparams": {1: "a"}}, TypeError, "hparams"),
    ],
)
def test_callbacks_reject_bad_hparams(tmp_path, kwargs, error, name):
    with pytest.raises(error, match=f"Received: {name}="):
        training.callbacks("99_bad", runs_dir=tmp_path, **kwargs)
    assert not (tmp_path / "99_bad").exists()  # checked before any folder is made


def test_log_final_writes_scalars(tmp_path):
    tb.log_final(tmp_path, {"final/test_accuracy": 0.9, "final/seconds": 3}, step=5)
    assert {(tag, step) for tag, step, _ in events(tmp_path)} == {
        ("final/test_accuracy", 5),
        ("final/seconds", 5),
    }
    with pytest.raises(TypeError, match="Received: metrics="):
        tb.log_final(tmp_path, {})


def test_log_result_is_one_row_of_the_hparams_table(tmp_path):
    folder = tb.log_result(
        "99_result", {"method": "unet"}, {"final/iou": 0.9}, runs_dir=tmp_path
    )
    assert folder.parent == tmp_path / "99_result"
    found = {tag: value for tag, _, value in events(folder)}
    assert {"provenance", "final/iou"} <= set(found)
    assert any(tag.startswith("_hparams_") for tag in found)
    with pytest.raises(TypeError, match="Received: metrics="):
        tb.log_result("99_result", {"method": "unet"}, {}, runs_dir=tmp_path)


# ------------------------------------------------------------- training callbacks


@pytest.mark.parametrize(
    "render, activation, targets",
    [
        (lambda: tb.confusion_matrix(X, Y, ["a", "b", "c"]), "softmax", Y),
        (lambda: tb.masks(X, X > 0.5), "sigmoid", (X > 0.5).astype("float32")),
        (lambda: tb.reconstructions(X[:4], X[:4]), "sigmoid", X),
    ],
)
def test_image_summaries_each_epoch(tmp_path, render, activation, targets):
    keras.utils.set_random_seed(0)
    model = tiny_model(activation=activation)
    loss = (
        "binary_crossentropy"
        if activation == "sigmoid"
        else "sparse_categorical_crossentropy"
    )
    model.compile(optimizer="adam", loss=loss)
    callback = tb.ImageSummaries(tmp_path, render(), "picture", every=1)
    model.fit(X, targets, epochs=3, batch_size=6, verbose=0, callbacks=[callback])
    written = [(step, v) for tag, step, v in events(tmp_path) if tag == "picture"]
    assert [step for step, _ in written] == [1, 2, 3]
    data = tensor_util.make_ndarray(written[-1][1].tensor)
    assert all(png.startswith(b"\x89PNG") for png in data[2:])


def test_gradient_norms_per_layer(tmp_path):
    keras.utils.set_random_seed(0)
    model = tiny_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callback = tb.GradientNorms(tmp_path, X[:6], Y[:6], every=2)
    model.fit(X, Y, epochs=4, batch_size=6, verbose=0, callbacks=[callback])
    written = {(tag, step) for tag, step, _ in events(tmp_path)}
    layers = ["gradient_norm/00_conv", "gradient_norm/01_predictions"]
    assert written == {(tag, step) for tag in layers for step in (0, 2, 4)}


@pytest.mark.parametrize(
    "factory, kwargs, error, name",
    [
        (tb.ImageSummaries, {"log_dir": None, "render": len}, TypeError, "log_dir"),
        (tb.ImageSummaries, {"log_dir": ".", "render": 3}, TypeError, "render"),
        (
            tb.ImageSummaries,
            {"log_dir": ".", "render": len, "every": 0},
            ValueError,
            "every",
        ),
        (
            tb.GradientNorms,
            {"log_dir": ".", "inputs": X, "targets": Y, "every": 0},
            ValueError,
            "every",
        ),
    ],
)
def test_callbacks_reject_bad_arguments(factory, kwargs, error, name):
    with pytest.raises(error, match=f"Received: {name}="):
        factory(**kwargs)


# --------------------------------------------------------------------- projector


def test_write_embeddings(tmp_path):
    vectors = np.random.default_rng(1).random((5, 3))
    config_path = tb.write_embeddings(tmp_path, vectors, [0, 1, 2, 1, 0], images=X[:5])
    assert config_path == tmp_path / tb.CONFIG_NAME
    text = config_path.read_text()
    assert 'tensor_path: "codes_vectors.tsv"' in text and "single_image_dim: 8" in text
    rows = (tmp_path / "codes_vectors.tsv").read_text().splitlines()
    assert len(rows) == 5 and all(len(row.split("\t")) == 3 for row in rows)
    assert (tmp_path / "codes_metadata.tsv").read_text().split() == [
        "0",
        "1",
        "2",
        "1",
        "0",
    ]
    from PIL import Image

    assert Image.open(tmp_path / "codes_sprite.png").size == (24, 24)  # 3 x 3 grid
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    "vectors, labels, images, error, name",
    [
        (np.zeros((3,)), [0, 1, 2], None, ValueError, "vectors"),
        (np.zeros((3, 1)), [0, 1, 2], None, ValueError, "vectors"),
        (np.zeros((3, 2)), [0, 1], None, ValueError, "labels"),
        (np.zeros((3, 2)), [0, 1, 2], X[:2], ValueError, "images"),
    ],
)
def test_write_embeddings_rejects(tmp_path, vectors, labels, images, error, name):
    with pytest.raises(error, match=f"Received: {name}"):
        tb.write_embeddings(tmp_path, vectors, labels, images=images)


# ------------------------------------------------------------------ set_notebook


def test_set_notebook_keeps_plain_upper_case_values():
    config.set_notebook(
        "05_x",
        {
            "SEED": 1,
            "RATES": (0.1, 0.2),
            "MODEL": object(),
            "lower": 2,
            "SIZES": {"a": [1]},
        },
    )
    context = config.run_context()
    assert context["parameters"] == {
        "SEED": 1,
        "RATES": (0.1, 0.2),
        "SIZES": {"a": [1]},
    }
    assert context["notebook"] == "05_x"
    with pytest.raises(TypeError, match="Received: namespace="):
        config.set_notebook("05_x", [("SEED", 1)])


# ---------------------------------------------------------- the real server


def test_real_tensorboard_server_lists_what_a_student_sees(tmp_path):
    runs = tmp_path / "runs"
    keras.utils.set_random_seed(0)
    for rate in (0.01, 0.1):
        model = tiny_model()
        model.compile(
            optimizer=keras.optimizers.Adam(rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        cbs = training.callbacks(
            f"99_rate{rate}",
            runs_dir=runs,
            backup=False,
            checkpoint=False,
            hparams={"learning_rate": rate},
        )
        cbs.append(
            tb.ImageSummaries(
                cbs.run_dir, tb.confusion_matrix(X, Y, "abc"), "confusion"
            )
        )
        model.fit(X, Y, epochs=2, validation_data=(X, Y), verbose=0, callbacks=cbs)
        tb.log_final(cbs.run_dir, {"final/test_accuracy": 0.5})
    tb.write_embeddings(cbs.run_dir, np.random.default_rng(0).random((12, 2)), Y, X)
    with tb.TensorBoardServer(runs) as server:
        seen = tb.summarize(server)
        sessions = seen["hparams"]["sessions"]
        assert server.get("/data/plugin/text/tags")  # asked directly, too
    assert server._process is None  # stopped by the with block
    assert {"hparams", "images", "projector", "scalars", "text"} <= set(seen["plugins"])
    assert len(sessions) == 2 and all(s.startswith("99_rate") for s in sessions)
    assert seen["hparams"]["hparams"] == ["learning_rate"]
    assert "/final/test_accuracy" in seen["hparams"]["metrics"]
    assert "validation/epoch_accuracy" in seen["hparams"]["metrics"]
    assert sorted(seen["images"].values()) == [["confusion"], ["confusion"]]
    assert all(tags == ["provenance"] for tags in seen["text"].values())
    assert len(seen["text"]) == 2
    assert seen["projector"] == [str(Path(cbs.run_dir).relative_to(runs))]
    json.dumps(seen)  # a plain structure a closing note can print
