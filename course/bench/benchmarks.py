"""The three benchmarks of lecture 12 - LeNet-5, ResNet-18, U-Net - and runs of them.

Each ``bench_*`` function checks its arguments, loads its data (offline), builds
its network and measures it through :class:`~course.bench.measure.Session`.
:func:`run` runs several at the sizes of :data:`SIZES` (``--quick`` or full) and
:func:`compare` one under several speed settings, for a before/after table.
Speed goals are measured here, never asserted in tests.

Used in lecture 12.
"""

from __future__ import annotations

from course import _validate
from course.bench import meter
from course.bench.measure import SCHEMA_VERSION, Session, resolve

BENCHMARKS = ("lenet", "resnet18", "unet")


def bench_lenet(
    epochs=30,
    batch_size=32,
    target=0.97,
    source="sample",
    seed=0,
    pipeline="tuned",
    precision="auto",
    jit="auto",
    matmul=None,
):
    """Trains LeNet-5 with the lecture's recipe and measures it.

    Notebook 04's network and optimizer: ReLU and max pooling, Adam with a
    cosine-decayed learning rate from 2e-3, on MNIST as loaded by
    ``course.data.mnist(source)`` (by default the 5,000-digit offline sample:
    4,000 to train, 1,000 held out, on which the target accuracy is checked).
    The augmentation - random shifts of up to 2 pixels, no flips - runs in the
    input pipeline rather than in the model, so that the pipelines compared
    differ in how they do it, and so that the model compiles with XLA on JAX
    (Keras' random image layers cannot be compiled there). LeNet-5 is tiny
    (0.42 M MACs per image), so its speed depends mostly on the input pipeline
    and the per-step overhead, not on arithmetic. Epoch times include the
    validation pass, which time-to-accuracy pays too.

    Args:
        epochs: epochs, >= 2 (the first is not timed).
        batch_size: images per step.
        target: held-out accuracy to reach, in (0, 1].
        source: ``course.data.mnist`` source.
        seed: seed of weights and data order.
        pipeline: ``"tuned"`` (tf.data) or ``"naive"`` (NumPy batches).
        precision: a Keras dtype policy, or ``"auto"`` for the device default.
        jit: ``"on"``, ``"off"`` or ``"auto"`` (device default) for XLA.
        matmul: a :func:`matmul_gflops` result to reuse; measured if None.

    Returns:
        A dict with the fields of :data:`RESULT_KEYS`.
    """
    import keras

    from course import data, models

    session = Session.checked(
        batch_size, epochs, seed, pipeline, precision, jit, matmul
    )
    target = _validate.number(
        "target", target, minimum=0, exclusive_minimum=True, maximum=1
    )
    session.start()
    splits = data.mnist(source=source)
    x_train = splits.x_train[..., None]
    x_test = splits.x_test[..., None].astype("float32") / 255.0
    session.steps = -(-len(x_train) // session.batch_size)
    with session.policy_scope():
        model = models.lenet5((28, 28, 1), activation="relu", pooling="max")
        optimizer = keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(2e-3, session.epochs * session.steps)
        )
        shifts = {"max_shift": 2, "flip": False}
        train = session.feed(x_train, splits.y_train, shifts)
        return session.measure(
            "lenet",
            model,
            train,
            splits.source,
            optimizer,
            validation=(x_test, splits.y_test),
            target=target,
        )


def bench_resnet18(
    steps=20,
    epochs=3,
    batch_size=64,
    image_size=32,
    data_source="stand-in",
    seed=0,
    pipeline="tuned",
    precision="auto",
    jit="auto",
    matmul=None,
):
    """Measures ResNet-18 training at CIFAR size (32x32x3, ten classes).

    He et al. (CVPR 2016)'s ResNet-18 with the small-image stem
    (``course.models.resnet(18, stem="cifar")``: 3x3 ``conv1``, no max pool;
    11.2 M parameters, 0.56 G MACs per 32x32 image), trained with SGD and
    momentum on the standard CIFAR augmentation (random flips and 4-pixel
    shifts). The data is the offline CIFAR stand-in of ``course.data.cifar10``
    (the speed does not depend on what the images show), or random images for
    other sizes; no accuracy target applies.

    Args:
        steps: training steps per epoch.
        epochs: epochs, >= 2 (the first is not timed).
        batch_size: images per step.
        image_size: image side; 32 is CIFAR's.
        data_source: ``"stand-in"`` (``course.data.cifar10``'s offline
            fallback; 32x32 only) or ``"random"``.
        seed: seed of weights and data.
        pipeline, precision, jit, matmul: as for :func:`bench_lenet`.

    Returns:
        A dict with the fields of :data:`RESULT_KEYS`; no target applies, so
        ``target_accuracy`` and the time and epochs to it are ``None``.
    """
    import keras
    import numpy as np

    from course import data, models

    session = Session.checked(
        batch_size, epochs, seed, pipeline, precision, jit, matmul, steps
    )
    image_size = _validate.positive_int("image_size", image_size, minimum=8)
    _validate.choice("data_source", data_source, ("stand-in", "random"))
    if data_source == "stand-in" and image_size != 32:
        raise _validate.error(
            "image_size", image_size, "to be 32 with data_source='stand-in' (CIFAR)"
        )
    session.start()
    if data_source == "stand-in":
        splits = data.cifar10(source="fallback")
        x, y, name = splits.x_train, splits.y_train, splits.source
    else:
        rng = np.random.default_rng(session.seed)
        count = min(session.steps * session.batch_size, 4096)
        x = rng.integers(0, 256, (count, image_size, image_size, 3), dtype=np.uint8)
        y = rng.integers(0, 10, count)
        name = "random"
    with session.policy_scope():
        model = models.resnet(
            18, stem="cifar", input_shape=(image_size, image_size, 3), num_classes=10
        )
        train = session.feed(x, y, {"max_shift": 4})
        optimizer = keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)
        return session.measure("resnet18", model, train, name, optimizer)


def bench_unet(
    steps=4,
    epochs=3,
    batch_size=2,
    image_size=256,
    base_filters=64,
    seed=0,
    pipeline="tuned",
    precision="auto",
    jit="auto",
    matmul=None,
):
    """Measures U-Net training on 256x256 fluorescence images of nuclei.

    Ronneberger et al. (MICCAI 2015)'s U-Net with ``"same"`` padding (the
    output has the input's size; 31.0 M parameters, 48.1 G MACs per 256x256
    image at ``base_filters=64``), segmenting the synthetic nuclei of
    ``course.data.nuclei`` into nucleus and background with Adam, images and
    masks flipped and shifted together. The accuracy reported is the
    pixel accuracy on the training batches; no target applies.

    Args:
        steps: training steps per epoch.
        epochs: epochs, >= 2 (the first is not timed).
        batch_size: images per step.
        image_size: image side, a multiple of 16.
        base_filters: filters of the first level (64 in the paper).
        seed: seed of weights and data.
        pipeline, precision, jit, matmul: as for :func:`bench_lenet`.

    Returns:
        A dict with the fields of :data:`RESULT_KEYS`, ``final_accuracy`` being
        the pixel accuracy on the last epoch's training batches.
    """
    import keras

    from course import data, models

    session = Session.checked(
        batch_size, epochs, seed, pipeline, precision, jit, matmul, steps
    )
    image_size = _validate.positive_int("image_size", image_size, minimum=16)
    if image_size % 16:
        raise _validate.error(
            "image_size", image_size, "to be a multiple of 16 (four 2x2 poolings)"
        )
    base_filters = _validate.positive_int("base_filters", base_filters)
    session.start()
    # The generator's default nucleus sizes suit 256x256; scale them with
    # the image so that small test images still hold whole nuclei.
    scale = image_size / 256
    images = data.nuclei(
        num_images=min(session.steps * session.batch_size, 16),
        image_size=(image_size, image_size),
        radius=(max(2.0, 8 * scale), max(2.0, 20 * scale)),
        seed=session.seed,
    )
    with session.policy_scope():
        model = models.unet(
            input_shape=(image_size, image_size, 1),
            num_classes=2,
            base_filters=base_filters,
            padding="same",
        )
        augment = {"max_shift": 8, "segmentation": True}
        train = session.feed(images.images, images.masks, augment, to_float=False)
        optimizer = keras.optimizers.Adam(learning_rate=1e-4)
        return session.measure("unet", model, train, images.source, optimizer)


#: Full-size and ``--quick`` settings of each benchmark.
SIZES = {
    "lenet": {"full": {"epochs": 30}, "quick": {"epochs": 3, "target": 0.9}},
    "resnet18": {
        "full": {"steps": 20, "epochs": 3, "batch_size": 64},
        "quick": {"steps": 3, "epochs": 2, "batch_size": 16},
    },
    "unet": {
        "full": {"steps": 4, "epochs": 3, "batch_size": 2},
        "quick": {"steps": 2, "epochs": 2, "batch_size": 1},
    },
}
_FUNCTIONS = {"lenet": bench_lenet, "resnet18": bench_resnet18, "unet": bench_unet}


def run(
    benchmarks=BENCHMARKS,
    quick=False,
    pipeline="tuned",
    precision="auto",
    jit="auto",
    overrides=None,
    matmul=None,
):
    """Runs benchmarks and collects one report.

    Args:
        benchmarks: names from :data:`BENCHMARKS`.
        quick: use the small ``--quick`` sizes of :data:`SIZES`.
        pipeline, precision, jit: as for :func:`bench_lenet`.
        overrides: ``{benchmark: {argument: value}}`` on top of the sizes.
        matmul: a float32 :func:`matmul_gflops` result to reuse; measured if
            None.

    Returns:
        ``{"schema", "device", "matmul", "results"}``: the device report, the
        float32 matmul reference, and one result dict per benchmark.
    """
    from course import config

    if isinstance(benchmarks, str) or not benchmarks:
        raise _validate.error(
            "benchmarks",
            benchmarks,
            f"to be a non-empty list of names from {BENCHMARKS}",
        )
    for name in benchmarks:
        _validate.choice("benchmarks", name, BENCHMARKS)
    overrides = overrides or {}
    resolve(pipeline, precision, jit)  # fail before measuring anything
    if matmul is None:
        matmul = meter.matmul_gflops()
    results = []
    for name in benchmarks:
        kwargs = dict(SIZES[name]["quick" if quick else "full"])
        kwargs.update(overrides.get(name, {}))
        results.append(
            _FUNCTIONS[name](
                pipeline=pipeline, precision=precision, jit=jit, matmul=matmul, **kwargs
            )
        )
    report = config.device_report()
    report["device"] = meter.device_name()
    return {
        "schema": SCHEMA_VERSION,
        "device": report,
        "matmul": matmul,
        "results": results,
    }


def compare(benchmark, settings, quick=False, overrides=None, matmul=None):
    """Runs one benchmark under several settings, for a before/after table.

    Args:
        benchmark: a name from :data:`BENCHMARKS`.
        settings: a list of dicts of ``pipeline``, ``precision`` and ``jit``
            values, e.g. ``[{"pipeline": "naive"}, {"pipeline": "tuned"}]``;
            what a dict leaves out is ``"tuned"``/``"auto"``.
        quick: use the ``--quick`` sizes.
        overrides: arguments of the benchmark function on top of the sizes.
        matmul: as for :func:`run`.

    Returns:
        A report like :func:`run`'s, with one result per setting, in order.
    """
    _validate.choice("benchmark", benchmark, BENCHMARKS)
    if isinstance(settings, dict) or not settings:
        raise _validate.error("settings", settings, "to be a non-empty list of dicts")
    allowed = {"pipeline", "precision", "jit"}
    for setting in settings:
        if not isinstance(setting, dict) or not set(setting) <= allowed:
            raise _validate.error(
                "settings", settings, f"to hold dicts with keys from {sorted(allowed)}"
            )
        resolve(
            setting.get("pipeline", "tuned"),
            setting.get("precision", "auto"),
            setting.get("jit", "auto"),
        )
    if matmul is None:
        matmul = meter.matmul_gflops()
    reports = [
        run(
            [benchmark],
            quick,
            overrides={benchmark: overrides or {}},
            matmul=matmul,
            **s,
        )
        for s in settings
    ]
    report = reports[0]
    report["results"] = [r["results"][0] for r in reports]
    return report
