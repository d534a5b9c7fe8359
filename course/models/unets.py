"""U-Net, UNet++, and the networks U-Net improves on (lecture 09).

Lecture 09 builds the paper's 572 -> 388 :func:`unet`, and compares the
:func:`patch_classifier`, the plain encoder-decoder :func:`fcn` and the U-Net on
synthetic nuclei; :func:`unet_plus_plus` is one of its exercises.

Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical Image
Segmentation" (MICCAI 2015, arXiv:1505.04597). The contracting path repeats two
3x3 convolutions with ReLU and a 2x2 max pool, doubling the filters after each
pool; the expanding path repeats a 2x2 up-convolution that halves the filters, a
concatenation with the cropped feature map of the same level ("copy and crop"),
and two 3x3 convolutions; a 1x1 convolution maps the 64 features of each pixel
to the classes. With *valid* convolutions, as in the paper, every 3x3 convolution
trims one pixel from each border, so a 572x572 input gives a 388x388 output (the
paper's Fig. 1) and the skip connections must crop.

Used in lecture 09.
"""

from __future__ import annotations

import keras

from course import _validate
from course.models import _common

PADDINGS = ("valid", "same")


def unet_output_size(size, depth=4, padding="valid"):
    """Output side of a U-Net for an input side, or ``None`` if it does not fit.

    With valid padding each level trims 4 pixels (two 3x3 convolutions) before a
    pool that needs an even size, the bottleneck trims 4 more, and each level of
    the expanding path doubles the size and trims 4 again. With same padding the
    size must be divisible by ``2 ** depth`` and comes out unchanged.

    Args:
        size: input height or width, >= 1.
        depth: number of 2x2 poolings, >= 1.
        padding: ``"valid"`` (the paper) or ``"same"``.

    Returns:
        The output size, or ``None`` when some pooling would see an odd size or a
        feature map would vanish.
    """
    size = _validate.positive_int("size", size)
    depth = _validate.positive_int("depth", depth)
    _validate.choice("padding", padding, PADDINGS)
    if padding == "same":
        return size if size % 2**depth == 0 else None
    for _ in range(depth):
        size -= 4
        if size < 2 or size % 2:
            return None
        size //= 2
    size -= 4
    if size < 1:
        return None
    for _ in range(depth):
        size = 2 * size - 4
    return size


def valid_unet_sizes(depth=4, padding="valid", low=1, high=1024):
    """All input sides in ``[low, high]`` that a U-Net of this depth accepts."""
    low = _validate.positive_int("low", low)
    high = _validate.positive_int("high", high, minimum=low)
    return [
        s
        for s in range(low, high + 1)
        if unet_output_size(s, depth, padding) is not None
    ]


def _nearest(size, depth, padding):
    below = valid_unet_sizes(depth, padding, 1, size) or [None]
    above = valid_unet_sizes(depth, padding, size, size + 2 ** (depth + 2))
    return below[-1], (above[0] if above else None)


def conv_block(x, filters, padding="valid", batch_norm=False, name="enc1"):
    """Two 3x3 convolutions, each followed by (batch norm and) ReLU.

    Args:
        x: input tensor ``(batch, height, width, channels)``.
        filters: filters of both convolutions.
        padding: ``"valid"`` (each convolution trims one pixel per border) or
            ``"same"``.
        batch_norm: add batch norm between each convolution and its ReLU (not in
            the 2015 paper; common since).
        name: prefix of the layers ``{name}_conv1``, ``{name}_relu1``, ...

    Returns:
        Tensor ``(batch, height', width', filters)``.
    """
    filters = _validate.positive_int("filters", filters)
    _validate.choice("padding", padding, PADDINGS)
    batch_norm = _validate.boolean("batch_norm", batch_norm)
    for i in (1, 2):
        x = keras.layers.Conv2D(
            filters,
            3,
            padding=padding,
            use_bias=not batch_norm,
            kernel_initializer="he_normal",  # the paper's Gaussian, std sqrt(2/N)
            name=f"{name}_conv{i}",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = keras.layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def _check_levels(top, base_filters, depth, padding, batch_norm):
    """Checks the encoder-decoder's arguments and that the input sides fit it."""
    base_filters = _validate.positive_int("base_filters", base_filters)
    depth = _validate.positive_int("depth", depth)
    _validate.choice("padding", padding, PADDINGS)
    _validate.boolean("batch_norm", batch_norm)
    for side in top.input_shape[:2]:
        if unet_output_size(side, depth, padding) is None:
            below, above = _nearest(side, depth, padding)
            why = (
                ", and convolutions trim 4 pixels per level"
                if padding == "valid"
                else f", i.e. a multiple of {2**depth}"
            )
            raise _validate.error(
                "input_shape",
                top.input_shape,
                f"whose height and width fit a depth-{depth} network with {padding} "
                f"padding (every pooling needs an even size{why}); the nearest "
                f"sizes that work are {below} and {above}",
            )
    return base_filters, depth


def _crop_to(skip, x, name):
    """Copy and crop: the centre of ``skip`` at the size of ``x``.

    The contracting path's map is larger by the pixels that the valid
    convolutions below it have trimmed since.
    """
    dh = skip.shape[1] - x.shape[1]
    dw = skip.shape[2] - x.shape[2]
    return keras.layers.Cropping2D(
        ((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2)), name=name
    )(skip)


def _encoder_decoder(top, base_filters, depth, padding, batch_norm, name, skips):
    """The generic body of :func:`unet` (``skips=True``) and :func:`fcn`."""
    inputs = top.inputs()
    x, copies = inputs, []
    for level in range(1, depth + 1):
        x = conv_block(
            x, base_filters * 2 ** (level - 1), padding, batch_norm, f"enc{level}"
        )
        copies.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"enc{level}_pool")(x)
    x = conv_block(x, base_filters * 2**depth, padding, batch_norm, "bottleneck")
    for level in range(depth, 0, -1):
        filters = base_filters * 2 ** (level - 1)
        x = keras.layers.Conv2DTranspose(
            filters, 2, strides=2, name=f"dec{level}_upconv"
        )(x)
        if skips:
            skip = copies[level - 1]
            if padding == "valid":
                skip = _crop_to(skip, x, f"dec{level}_crop")
            x = keras.layers.Concatenate(name=f"dec{level}_concat")([skip, x])
        x = conv_block(x, filters, padding, batch_norm, f"dec{level}")
    return keras.Model(inputs, top.pixel_head(x), name=name)


def unet(
    input_shape=(572, 572, 1),
    num_classes=2,
    base_filters=64,
    depth=4,
    padding="valid",
    batch_norm=False,
    classifier_activation="auto",
    name="unet",
):
    """U-Net (Ronneberger et al., 2015).

    With the defaults this is the network of the paper's Fig. 1: 572x572x1 in,
    388x388x2 out, 23 convolutional layers, 31,030,658 parameters (computed
    layer by layer in the tests). ``base_filters=32`` gives 7.76 million, the
    U-Net of the UNet++ paper's Table 1 (Zhou et al., 2018).

    Layers: ``enc{i}_conv{1,2}``/``enc{i}_relu{1,2}``/``enc{i}_pool`` for levels
    1..depth, ``bottleneck_conv{1,2}``, then for levels depth..1
    ``dec{i}_upconv``, ``dec{i}_crop`` (valid padding only), ``dec{i}_concat``,
    ``dec{i}_conv{1,2}``, and ``predictions``.

    Args:
        input_shape: ``(height, width, channels)``; each side must fit (see
            :func:`unet_output_size`), else the error names the nearest sizes.
        num_classes: output channels.
        base_filters: filters of the first level (doubled per level).
        depth: number of poolings (4 in the paper).
        padding: ``"valid"`` (paper: output smaller than input, skips cropped) or
            ``"same"`` (output the size of the input, no cropping).
        batch_norm: batch norm after every 3x3 convolution.
        classifier_activation: activation of ``predictions``; ``"auto"`` means
            sigmoid for one class and softmax otherwise, ``None`` gives logits.
        name: model name.

    Returns:
        A Functional ``keras.Model`` from ``(batch, H, W, C)`` to
        ``(batch, H', W', num_classes)``.
    """
    top = _common.check_top(input_shape, num_classes, True, classifier_activation)
    base_filters, depth = _check_levels(top, base_filters, depth, padding, batch_norm)
    return _encoder_decoder(top, base_filters, depth, padding, batch_norm, name, True)


def fcn(
    input_shape=(256, 256, 1),
    num_classes=1,
    base_filters=16,
    depth=3,
    padding="same",
    batch_norm=False,
    classifier_activation="auto",
    name="fcn",
):
    """A plain fully convolutional encoder-decoder: U-Net without its skips.

    The same levels, filters and up-convolutions as :func:`unet`, but the
    expanding path sees only the bottleneck: everything it draws must pass
    through the coarsest map. Comparing it with a U-Net of the same settings
    isolates what the copy-and-crop connections add (Long, Shelhamer & Darrell,
    "Fully convolutional networks for semantic segmentation", CVPR 2015, is the
    family; their FCN-32s has no skips either). Without the concatenated skip
    features, each decoder block has fewer input channels, so it has fewer
    parameters than the U-Net.

    Args and Returns: as :func:`unet`; layer names as in :func:`unet` without
    ``dec{i}_crop`` and ``dec{i}_concat``.
    """
    top = _common.check_top(input_shape, num_classes, True, classifier_activation)
    base_filters, depth = _check_levels(top, base_filters, depth, padding, batch_norm)
    return _encoder_decoder(top, base_filters, depth, padding, batch_norm, name, False)


def patch_classifier(
    patch_size=27,
    channels=1,
    num_classes=1,
    filters=(16, 32),
    dense_units=64,
    classifier_activation="auto",
    name="patch_classifier",
):
    """Classifies the centre pixel of a square patch: patch-based segmentation.

    Before fully convolutional networks, a segmentation was a classification of
    every pixel from the patch around it (e.g. 27x27 patches for retinal vessels,
    as in the lecture; Ciresan et al., NIPS 2012, for neuronal membranes). Each
    pixel costs a full forward pass over its own patch, and neighbouring patches
    share almost all their pixels - the redundancy that fully convolutional
    networks remove.

    Layers: per entry of ``filters`` a block ``block{i}_conv`` (3x3, valid, ReLU)
    and ``block{i}_pool`` (2x2), then ``flatten``, ``fc`` and ``predictions``.

    Args:
        patch_size: odd side of the patch, at least ``2 ** len(filters) * 3 + 1``
            so that every block keeps a map.
        channels: channels of the image.
        num_classes: 1 (sigmoid, foreground probability) or more (softmax).
        filters: filters of the convolution blocks.
        dense_units: units of the hidden dense layer.
        classifier_activation: as in :func:`unet`.
        name: model name.

    Returns:
        A Functional ``keras.Model`` from ``(batch, patch_size, patch_size,
        channels)`` to ``(batch, num_classes)``.
    """
    patch_size = _validate.positive_int("patch_size", patch_size, minimum=3)
    channels = _validate.positive_int("channels", channels)
    top = _common.check_top(
        (patch_size, patch_size, channels), num_classes, True, classifier_activation
    )
    dense_units = _validate.positive_int("dense_units", dense_units)
    filters = _validate.positive_ints("filters", filters)
    size = patch_size
    for _ in filters:
        size = (size - 2) // 2
    if patch_size % 2 == 0 or size < 1:
        raise _validate.error(
            "patch_size",
            patch_size,
            "to be odd (the patch is centred on its pixel) and large enough for "
            f"{len(filters)} blocks of a 3x3 convolution and a 2x2 pool",
        )
    inputs = top.inputs()
    x = inputs
    for i, count in enumerate(filters, start=1):
        x = keras.layers.Conv2D(count, 3, activation="relu", name=f"block{i}_conv")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    x = top.head(x, pooling="flatten", hidden=("fc",), hidden_units=dense_units)
    return keras.Model(inputs, x, name=name)


def unet_plus_plus(
    input_shape=(256, 256, 1),
    num_classes=1,
    base_filters=32,
    depth=4,
    deep_supervision=False,
    batch_norm=False,
    classifier_activation="auto",
    name="unet_plus_plus",
):
    """UNet++: U-Net with nested, dense skip pathways (Zhou et al., 2018).

    Zhou, Rahman Siddiquee, Tajbakhsh & Liang, "UNet++: A Nested U-Net
    Architecture for Medical Image Segmentation" (DLMIA 2018, arXiv:1807.10165).
    Node ``X(i, j)`` sits at resolution level ``i`` (``i`` poolings deep) and is the
    ``j``-th block along the skip pathway of that level. ``X(i, 0)`` is the
    encoder; every other node concatenates all earlier nodes of its level with
    the 2x2 up-convolution of ``X(i + 1, j - 1)`` and applies two 3x3
    convolutions with ``base_filters * 2 ** i`` filters. The plain U-Net is the
    special case that keeps only ``X(i, 0)`` and the nodes ``X(i, depth - i)``.
    The semantic gap between encoder and decoder features is bridged step by
    step instead of by one concatenation. With the defaults (filters 32 to 512)
    it has 9.04 million parameters, the figure of the paper's Table 1 (against
    7.76 million for ``unet(base_filters=32)``).

    Same padding only: every node keeps the size of its level, so the input
    sides must be multiples of ``2 ** depth``.

    Layers: ``x{i}{j}_conv{1,2}``/``x{i}{j}_relu{1,2}`` per node,
    ``x{i}0_pool`` (encoder), ``x{i}{j}_upconv`` and ``x{i}{j}_concat`` (the
    inputs of node ``x{i}{j}``), ``predictions`` (or ``predictions_{j}`` on
    ``X(0, j)`` for ``j = 1..depth`` with deep supervision).

    Args:
        input_shape: ``(height, width, channels)``, sides multiples of
            ``2 ** depth``.
        num_classes: output channels.
        base_filters: filters of level 0 (doubled per level).
        depth: number of poolings (4 in the paper).
        deep_supervision: one output per top node ``X(0, 1..depth)`` (the
            paper's deep supervision: train on the mean of their losses, and at
            inference average them or prune to a shallower one).
        batch_norm: batch norm after every 3x3 convolution.
        classifier_activation: as in :func:`unet`.
        name: model name.

    Returns:
        A Functional ``keras.Model`` from ``(batch, H, W, C)`` to ``(batch, H, W,
        num_classes)``, or to a list of ``depth`` such outputs with deep
        supervision.
    """
    top = _common.check_top(input_shape, num_classes, True, classifier_activation)
    base_filters, depth = _check_levels(top, base_filters, depth, "same", batch_norm)
    deep_supervision = _validate.boolean("deep_supervision", deep_supervision)
    inputs = top.inputs()
    nodes = {}
    x = inputs
    for i in range(depth + 1):  # the encoder column X(i, 0)
        if i:
            x = keras.layers.MaxPooling2D(2, name=f"x{i - 1}0_pool")(nodes[i - 1, 0])
        nodes[i, 0] = conv_block(x, base_filters * 2**i, "same", batch_norm, f"x{i}0")
    for j in range(1, depth + 1):  # then each diagonal, shallowest last
        for i in range(depth - j + 1):
            filters = base_filters * 2**i
            up = keras.layers.Conv2DTranspose(
                filters, 2, strides=2, name=f"x{i}{j}_upconv"
            )(nodes[i + 1, j - 1])
            merged = keras.layers.Concatenate(name=f"x{i}{j}_concat")(
                [nodes[i, k] for k in range(j)] + [up]
            )
            nodes[i, j] = conv_block(merged, filters, "same", batch_norm, f"x{i}{j}")
    if not deep_supervision:
        return keras.Model(inputs, top.pixel_head(nodes[0, depth]), name=name)
    outputs = [
        top.pixel_head(nodes[0, j], f"predictions_{j}") for j in range(1, depth + 1)
    ]
    return keras.Model(inputs, outputs, name=name)
