"""Saliency maps laid over their images.

``overlay_rgb`` blends one map into its image as an RGB array (what
``course.saliency`` writes to TensorBoard); ``saliency_overlay`` and
``saliency_grid`` draw maps beside and over their images. NumPy and matplotlib
only, so the figures work on every Keras backend; ``course.saliency`` re-exports
the three.

Used in lectures 11 and 13.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

from course import _validate
from course.plots._common import (
    _as_array,
    _as_images,
    _colormap,
    _grid,
    _rescale,
    _show,
    _title,
)


def _image_and_map(image: Any, saliency_map: Any) -> tuple[np.ndarray, np.ndarray]:
    picture = _as_array("image", image)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    if picture.ndim not in (2, 3) or (picture.ndim == 3 and picture.shape[-1] != 3):
        raise _validate.error(
            "image", picture, "to have shape (H, W), (H, W, 1) or (H, W, 3)"
        )
    heat = _as_array("saliency_map", saliency_map)
    if heat.ndim == 3 and heat.shape[-1] == 1:
        heat = heat[..., 0]
    if heat.shape != picture.shape[:2]:
        raise _validate.error(
            "saliency_map",
            heat,
            f"to have shape {picture.shape[:2]} (the image's height and width)",
        )
    return picture, heat


def overlay_rgb(
    image: Any, saliency_map: Any, alpha: float = 0.5, cmap: str | Colormap = "jet"
) -> np.ndarray:
    """A saliency map laid over its image, as an RGB array (no figure).

    The image is shown in grey (a colour image keeps its colours), each scaled to
    [0, 1]; the map, also scaled to [0, 1], is coloured by ``cmap`` and blended in
    with weight ``alpha``. ``course.saliency.SaliencyImages`` writes these arrays
    to TensorBoard.

    Args:
        image: ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``.
        saliency_map: ``(H, W)`` map, any range.
        alpha: weight of the coloured map, in [0, 1].
        cmap: matplotlib colormap (name or object).

    Returns:
        float32 array ``(H, W, 3)`` in [0, 1].
    """
    picture, heat = _image_and_map(image, saliency_map)
    alpha = _validate.fraction("alpha", alpha, inclusive_one=True)
    colormap = _colormap(cmap)
    base = _rescale(picture)
    if base.ndim == 2:
        base = np.repeat(base[..., None], 3, axis=-1)
    colored = colormap(_rescale(heat))[..., :3]
    return ((1.0 - alpha) * base + alpha * colored).astype(np.float32)


def _show_map(ax, heat: np.ndarray, colormap: Colormap) -> None:
    """Draws a saliency map alone, scaled to [0, 1] and coloured by ``colormap``."""
    ax.imshow(_rescale(heat), cmap=colormap, vmin=0, vmax=1)


def saliency_overlay(
    image: Any,
    saliency_map: Any,
    alpha: float = 0.5,
    cmap: str | Colormap = "jet",
    title: str | None = None,
) -> Figure:
    """One image, its saliency map and the two overlaid, side by side.

    Args:
        image: ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``.
        saliency_map: ``(H, W)`` map, e.g. from ``course.saliency.saliency_map``.
        alpha: weight of the map in the overlay, in [0, 1].
        cmap: matplotlib colormap of the map.
        title: figure title.

    Returns:
        The figure, three axes.
    """
    picture, heat = _image_and_map(image, saliency_map)
    blended = overlay_rgb(picture, heat, alpha, cmap)
    title = _title(title)
    fig, axes = _grid(3, 3, cell=2.2)
    _show(axes[0], picture)
    _show_map(axes[1], heat, _colormap(cmap))
    axes[2].imshow(blended)
    for ax, name in zip(axes, ("image", "saliency", "overlay"), strict=True):
        ax.set_title(name, fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _check_maps(maps: Any, pictures: np.ndarray) -> dict[str, np.ndarray]:
    """``maps`` as column title -> array ``(N, H, W)`` matching ``pictures``."""
    if not isinstance(maps, Mapping) or not maps:
        raise _validate.error(
            "maps", maps, "to be a non-empty dict title -> maps", TypeError
        )
    columns = {str(k): _as_array("maps", v) for k, v in maps.items()}
    for array in columns.values():
        if array.shape != pictures.shape[:3]:
            raise _validate.error(
                "maps",
                array,
                f"to hold arrays of shape {pictures.shape[:3]} (N, H, W)",
            )
    return columns


def saliency_grid(
    images: Any,
    maps: Mapping[str, Any],
    row_titles: Sequence[str] | None = None,
    alpha: float = 0.5,
    cmap: str | Colormap = "jet",
    overlay: bool = True,
    title: str | None = None,
) -> Figure:
    """Saliency maps side by side: one row per image, one column per map.

    Rows can be different images (methods compared) or one image repeated
    (classes or layers compared); the first column shows the image.

    Args:
        images: ``(N, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, 3)``.
        maps: column title -> maps ``(N, H, W)``, e.g. method -> maps.
        row_titles: one label per row (e.g. the class explained), or None.
        alpha: weight of the maps in the overlays, in [0, 1].
        cmap: matplotlib colormap of the maps.
        overlay: draw each map over its image (else the map alone).
        title: figure title.

    Returns:
        The figure, ``N x (1 + len(maps))`` axes.
    """
    pictures = _as_images(images)
    columns = _check_maps(maps, pictures)
    if row_titles is not None and (
        isinstance(row_titles, str) or len(row_titles) != len(pictures)
    ):
        raise _validate.error(
            "row_titles", row_titles, f"to hold {len(pictures)} labels"
        )
    alpha = _validate.fraction("alpha", alpha, inclusive_one=True)
    colormap = _colormap(cmap)
    overlay = _validate.boolean("overlay", overlay)
    title = _title(title)
    ncols = 1 + len(columns)
    fig, axes = _grid(len(pictures) * ncols, ncols, cell=1.7)
    for row, picture in enumerate(pictures):
        first = axes[row * ncols]
        _show(first, picture)
        if row_titles is not None:
            first.set_ylabel(str(row_titles[row]), fontsize=8)
        for col, (name, array) in enumerate(columns.items(), start=1):
            ax = axes[row * ncols + col]
            if overlay:
                ax.imshow(overlay_rgb(picture, array[row], alpha, colormap))
            else:
                _show_map(ax, array[row], colormap)
            if row == 0:
                ax.set_title(name, fontsize=8)
    axes[0].set_title("image", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
