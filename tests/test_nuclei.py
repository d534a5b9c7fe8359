"""Synthetic nuclei: shapes, determinism, exact truth, touching, bad arguments."""

import numpy as np
import pytest

from course import data

#: Small, fast scenes; the radius must stay <= min(image_size) / 4.
SMALL = {"image_size": (64, 64), "radius": (4, 8), "num_nuclei": (3, 8)}


def small(**overrides):
    """A few 64x64 images, quietly, with the overrides applied."""
    options = {"num_images": 3, "verbose": False, **SMALL, **overrides}
    return data.nuclei(**options)


def touching_pairs(labels):
    """Pairs of different instances that are 8-neighbours, over all images."""
    pairs = set()
    # Right, down, down-right and down-left cover every 8-neighbour pair once.
    for a, b in (
        (labels[:, :, :-1], labels[:, :, 1:]),
        (labels[:, :-1, :], labels[:, 1:, :]),
        (labels[:, :-1, :-1], labels[:, 1:, 1:]),
        (labels[:, :-1, 1:], labels[:, 1:, :-1]),
    ):
        hit = (a > 0) & (b > 0) & (a != b)
        image = np.nonzero(hit)[0]
        pairs |= set(zip(image.tolist(), a[hit].tolist(), b[hit].tolist(), strict=True))
    return pairs


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"image_size": (48, 80), "radius": (3, 6)},
        {"noise": "gaussian", "gaussian_noise": 0.05},
        {"noise": "none", "blur": 0.0, "foci": False},
        {"touching": 1.0, "photons": 5.0, "background": 0.2},
        {"num_nuclei": (0, 0)},
    ],
)
def test_dtypes_shapes_and_ranges(options):
    result = small(**options)
    height, width = options.get("image_size", SMALL["image_size"])
    assert result.source == "synthetic-nuclei" and len(result) == 3
    for name, dtype, shape in (
        ("images", np.float32, (3, height, width, 1)),
        ("clean", np.float32, (3, height, width, 1)),
        ("masks", np.uint8, (3, height, width)),
        ("labels", np.int32, (3, height, width)),
        ("foci", np.uint8, (3, height, width)),
        ("counts", np.int64, (3,)),
    ):
        array = getattr(result, name)
        assert array.dtype == dtype and array.shape == shape, name
    for array in (result.images, result.clean):
        assert array.min() >= 0.0 and array.max() <= 1.0
    assert set(np.unique(result.masks)) <= {0, 1}
    assert set(np.unique(result.foci)) <= {0, 1}
    # Background pixels of the clean image sit exactly at the background level.
    background = options.get("background", 0.05)
    np.testing.assert_allclose(result.clean[..., 0][result.masks == 0], background)


def test_same_seed_same_arrays_and_prefix_stable():
    first = small(seed=3)
    again = small(seed=3)
    more = small(seed=3, num_images=5)
    for name in ("images", "clean", "labels", "foci"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
        # Image i depends only on (seed, i): more images keep the first ones.
        np.testing.assert_array_equal(getattr(first, name), getattr(more, name)[:3])


def test_different_seeds_differ():
    one, two = small(seed=0), small(seed=1)
    assert not np.array_equal(one.clean, two.clean)
    assert not np.array_equal(one.labels, two.labels)
    # Images within one call differ from each other too.
    assert not np.array_equal(one.labels[0], one.labels[1])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("touching", [0.0, 0.5, 1.0])
def test_instance_labels_match_masks_and_are_contiguous(seed, touching):
    result = small(seed=seed, touching=touching, num_images=4)
    np.testing.assert_array_equal(result.masks, (result.labels > 0).astype(np.uint8))
    for labels, count in zip(result.labels, result.counts, strict=True):
        present = np.unique(labels[labels > 0])
        assert present.tolist() == list(range(1, count + 1))
        # A nucleus may be left out when it finds no room, so fewer than
        # num_nuclei[0] is possible in crowded scenes, never more than [1].
        assert count <= SMALL["num_nuclei"][1]


def test_counts_reach_the_requested_range_when_there_is_room():
    # Sparse scenes (few small nuclei in a large image): no placement fails.
    result = data.nuclei(
        num_images=6,
        image_size=(128, 128),
        num_nuclei=(2, 5),
        radius=(3, 5),
        verbose=False,
    )
    assert all(2 <= count <= 5 for count in result.counts)


@pytest.mark.parametrize("seed", [0, 7, 11])
def test_touching_nuclei_are_neighbours_only_when_asked(seed):
    assert touching_pairs(small(seed=seed, touching=1.0).labels)
    assert not touching_pairs(small(seed=seed, touching=0.0).labels)


@pytest.mark.parametrize("seed", [0, 5])
def test_foci_lie_inside_nuclei(seed):
    result = small(seed=seed, touching=0.5)
    assert result.foci.any()
    assert not (result.foci.astype(bool) & (result.masks == 0)).any()
    # Every nucleus holds at least one focus.
    for labels, foci in zip(result.labels, result.foci.astype(bool), strict=True):
        assert set(np.unique(labels[foci])) == set(range(1, labels.max() + 1))
    assert not small(seed=seed, foci=False).foci.any()


def test_clean_has_no_blur_or_noise():
    result = small(noise="none", blur=0.0)
    np.testing.assert_array_equal(result.images, result.clean)
    noisy = small()
    assert not np.array_equal(noisy.images, noisy.clean)
    # The clean scenes do not depend on the microscope settings.
    np.testing.assert_array_equal(result.clean, noisy.clean)


def test_more_photons_means_less_noise():
    def error(photons):
        result = small(blur=0.0, gaussian_noise=0.0, photons=photons)
        return np.abs(result.images - result.clean).mean()

    assert error(1000.0) < error(50.0) < error(5.0)


def test_reacquire_repeats_the_microscope_with_fresh_noise():
    scenes = small(num_images=2).clean
    frames = data.reacquire(scenes, frames=3, seed=5)
    assert frames.shape == (2, 3, 64, 64, 1) and frames.dtype == np.float32
    assert 0 <= frames.min() and frames.max() <= 1
    np.testing.assert_array_equal(frames, data.reacquire(scenes, frames=3, seed=5))
    # Independent exposures: no two frames of a scene are alike.
    assert not np.array_equal(frames[0, 0], frames[0, 1])
    # Without noise an exposure is the blurred scene, as nuclei() draws it.
    blurred = small(num_images=2, noise="none").images
    np.testing.assert_allclose(
        data.reacquire(scenes, noise="none", seed=9), blurred, atol=1e-6
    )
    # Averaging n exposures divides the noise variance by about n.
    one = np.mean((data.reacquire(scenes, seed=1) - blurred) ** 2)
    mean = data.reacquire(scenes, frames=16, seed=1).mean(axis=1)
    assert 10 < one / np.mean((mean - blurred) ** 2) < 22
    # Grey (N, H, W) scenes keep their shape.
    assert data.reacquire(scenes[..., 0], seed=2).shape == (2, 64, 64)


@pytest.mark.parametrize(
    "name, value, error",
    [
        ("scenes", np.zeros((2, 8, 8, 3)), ValueError),
        ("scenes", np.full((1, 8, 8), 2.0), ValueError),
        ("scenes", "image", TypeError),
        ("frames", 0, ValueError),
        ("noise", "salt", ValueError),
        ("photons", -1.0, ValueError),
        ("seed", 1.5, TypeError),
    ],
)
def test_bad_reacquire_arguments_name_themselves(name, value, error):
    options = {"scenes": np.zeros((1, 8, 8, 1)), name: value}
    with pytest.raises(error, match=rf"{name}.*Received: {name}[=.]"):
        data.reacquire(**options)


def test_the_microscope_size_works():
    result = data.nuclei(num_images=1, image_size=(512, 672), verbose=False)
    assert result.images.shape == (1, 512, 672, 1)
    assert result.counts[0] >= 1


def test_prints_one_line_of_provenance(capsys):
    result = data.nuclei(num_images=2, seed=4, **SMALL)
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1
    assert printed.strip() == result.description
    assert "synthetic 64x64" in printed and "seed 4" in printed


def test_splits_are_disjoint_and_stable(capsys):
    train, test = data.nuclei_splits(num_train=3, num_test=2, seed=1, **SMALL)
    assert "3 train / 2 test" in capsys.readouterr().out
    assert train.images.shape == (3, 64, 64, 1) and test.images.shape[0] == 2
    train_set = {image.tobytes() for image in train.clean}
    assert not any(image.tobytes() in train_set for image in test.clean)
    # More training images leave the test set as it was.
    _, same_test = data.nuclei_splits(
        num_train=5, num_test=2, seed=1, verbose=False, **SMALL
    )
    np.testing.assert_array_equal(test.labels, same_test.labels)


@pytest.mark.parametrize(
    "name, value, error",
    [
        ("num_images", 0, ValueError),
        ("num_images", 2.0, TypeError),
        ("image_size", (31, 64), ValueError),
        ("image_size", (64, 64, 1), ValueError),
        ("image_size", "64", TypeError),
        ("num_nuclei", (5, 2), ValueError),
        ("num_nuclei", (-1, 2), ValueError),
        ("num_nuclei", 5, TypeError),
        ("num_nuclei", (1.5, 2), TypeError),
        ("radius", (8, 4), ValueError),
        ("radius", (1, 4), ValueError),
        ("radius", (4, 20), ValueError),
        ("radius", (4, "8"), TypeError),
        ("touching", 1.5, ValueError),
        ("touching", "yes", TypeError),
        ("foci", 1, TypeError),
        ("blur", -1.0, ValueError),
        ("noise", "salt", ValueError),
        ("photons", 0.0, ValueError),
        ("gaussian_noise", -0.1, ValueError),
        ("background", 1.0, ValueError),
        ("seed", -1, ValueError),
    ],
)
def test_bad_arguments_name_themselves(name, value, error):
    options = {"num_images": 1, "verbose": False, **SMALL, name: value}
    with pytest.raises(error, match=rf"{name}.*Received: {name}="):
        data.nuclei(**options)


@pytest.mark.parametrize(
    "options, name",
    [
        ({"num_train": 0}, "num_train"),
        ({"num_test": -1}, "num_test"),
        ({"num_images": 3}, "num_images"),
    ],
)
def test_bad_split_arguments_name_themselves(options, name):
    with pytest.raises((ValueError, TypeError), match=rf"Received: {name}="):
        data.nuclei_splits(verbose=False, **SMALL, **options)


# ------------------------------------------------------------ the real benchmark


def write_dsb_split(root, split, sizes, dtype=np.uint8):
    """A tiny DSB2018-like split: images with bright squares, masks numbering them.

    Each image holds one nucleus per 16x16 cell of its grid, numbered with gaps
    (as real masks sometimes are), so the loader must renumber them.
    """
    import tifffile

    for folder in ("images", "masks"):
        (root / split / folder).mkdir(parents=True, exist_ok=True)
    for index, (height, width) in enumerate(sizes):
        image = np.full((height, width), 10, dtype=np.float64)
        mask = np.zeros((height, width), dtype=np.uint16)
        label = 0
        for top in range(2, height - 12, 16):
            for left in range(2, width - 12, 16):
                label += 3
                image[top : top + 10, left : left + 10] = 200
                mask[top : top + 10, left : left + 10] = label
        name = f"{split}-{index:03d}.tif"
        tifffile.imwrite(root / split / "images" / name, image.astype(dtype))
        tifffile.imwrite(root / split / "masks" / name, mask)


@pytest.fixture
def tiny_dsb(tmp_path, monkeypatch):
    """A cached, extracted DSB2018 with images smaller and larger than 64x64."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    root = data.nuclei_dir()
    sizes = [(64, 64), (80, 96), (48, 70), (100, 64), (64, 64), (72, 72)]
    write_dsb_split(root, "train", sizes)
    write_dsb_split(root, "test", sizes[:3], dtype=np.uint16)
    return root


@pytest.mark.parametrize("source", ["auto", "cache"])
def test_real_nuclei_from_the_cache(tiny_dsb, source, capsys):
    train, test = data.nuclei_splits(
        num_train=4, num_test=2, seed=3, source=source, image_size=64
    )
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and "DSB2018" in printed
    assert "4 train / 2 test" in printed and str(tiny_dsb) in printed
    for part, count in ((train, 4), (test, 2)):
        assert part.source == "dsb2018" and len(part) == count
        assert part.clean is None and part.foci is None
        assert part.images.shape == (count, 64, 64, 1)
        assert part.images.dtype == np.float32 and part.labels.dtype == np.int32
        assert part.images.min() >= 0.0 and part.images.max() <= 1.0
        np.testing.assert_array_equal(part.masks, part.labels > 0)
        for labels, count_ in zip(part.labels, part.counts, strict=True):
            # Renumbered 1..k without gaps, whatever the file's numbers were.
            assert set(np.unique(labels)) == set(range(count_ + 1))
        # Nuclei are bright, background dark: the scaling kept the contrast.
        assert part.images[..., 0][part.masks == 1].mean() > 0.9
        assert part.images[..., 0][part.masks == 0].mean() < 0.1


def test_real_nuclei_are_seeded_and_prefix_stable(tiny_dsb):
    options = {"num_test": 2, "source": "cache", "image_size": 48, "verbose": False}
    first, test = data.nuclei_splits(num_train=3, seed=5, **options)
    again, _ = data.nuclei_splits(num_train=3, seed=5, **options)
    more, same_test = data.nuclei_splits(num_train=5, seed=5, **options)
    other, _ = data.nuclei_splits(num_train=3, seed=6, **options)
    np.testing.assert_array_equal(first.images, again.images)
    np.testing.assert_array_equal(first.labels, more.labels[:3])
    np.testing.assert_array_equal(test.labels, same_test.labels)
    assert not np.array_equal(first.images, other.images)


def test_real_nuclei_cannot_exceed_the_split(tiny_dsb):
    with pytest.raises(ValueError, match="at most 3 test images.*num_test=4"):
        data.nuclei_splits(
            num_train=2, num_test=4, source="cache", image_size=64, verbose=False
        )
    with pytest.raises(ValueError, match="Received: num_test=51"):
        data.nuclei_splits(num_test=51, source="cache", verbose=False)


def test_damaged_real_nuclei_raise_not_fall_back(tiny_dsb):
    (tiny_dsb / "train" / "masks" / "train-001.tif").unlink()
    with pytest.raises(data.CorruptCacheError, match="do not pair up"):
        data.nuclei_splits(source="auto", image_size=64, verbose=False)
    (tiny_dsb / "test" / "images" / "test-000.tif").write_bytes(b"not a tiff")
    (tiny_dsb / "train" / "masks" / "train-001.tif").write_bytes(b"not a tiff")
    expected = "train-001.tif.*course.fetch dsb2018"
    with pytest.raises(data.CorruptCacheError, match=expected):
        data.nuclei_splits(num_train=6, source="cache", image_size=64, verbose=False)


def test_offline_auto_falls_back_to_synthetic_and_says_so(
    tmp_path, monkeypatch, capsys
):
    from course import fetch

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))

    def no_download(*args, **kwargs):
        raise AssertionError("offline: must not try to download")

    monkeypatch.setattr(fetch, "fetch", no_download)
    train, test = data.nuclei_splits(num_train=2, num_test=1, source="auto", **SMALL)
    printed = capsys.readouterr().out
    assert "using synthetic images" in printed and "course.fetch dsb2018" in printed
    assert train.source == test.source == "synthetic-nuclei"
    expected, _ = data.nuclei_splits(num_train=2, num_test=1, verbose=False, **SMALL)
    np.testing.assert_array_equal(train.images, expected.images)
    with pytest.raises(FileNotFoundError, match="course.fetch dsb2018"):
        data.nuclei_splits(source="cache", verbose=False)
    assert not (tmp_path / "cache").exists()


def test_failed_download_falls_back_under_auto_only(tmp_path, monkeypatch, capsys):
    from course import fetch

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSE_PROFILE", "full")  # smoke implies offline
    monkeypatch.setenv("COURSE_OFFLINE", "0")

    def no_network(*args, **kwargs):
        raise fetch.DownloadError("no route to host")

    monkeypatch.setattr(fetch, "fetch", no_network)
    train, _ = data.nuclei_splits(num_train=1, num_test=1, source="auto", **SMALL)
    assert train.source == "synthetic-nuclei"
    assert "download failed (DownloadError)" in capsys.readouterr().out
    with pytest.raises(fetch.DownloadError):
        data.nuclei_splits(source="download", verbose=False)


@pytest.mark.parametrize(
    "options, name, error",
    [
        ({"source": "dsb"}, "source", ValueError),
        ({"source": "cache", "radius": (4, 8)}, "radius", TypeError),
        ({"source": "cache", "image_size": 16}, "image_size", ValueError),
        ({"source": "auto", "num_train": 448}, "num_train", ValueError),
        ({"source": "auto", "cache_dir": 3}, "cache_dir", TypeError),
    ],
)
def test_bad_real_source_arguments_name_themselves(options, name, error):
    with pytest.raises(error, match=rf"Received: {name}="):
        data.nuclei_splits(verbose=False, **options)
