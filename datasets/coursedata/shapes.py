"""The course's objects as parts in object coordinates, and a batched stamp to draw them.

A part is (shape, colour role): shape(u, v) -> bool mask, role one of "body", "detail",
"dark". One unit of u, v is the object's size in pixels; +u is its heading.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coursedata import raster

Shape = Callable[[np.ndarray, np.ndarray], np.ndarray]
Part = tuple[Shape, str]

OBJECT_PARTS: dict[str, list[Part]] = {
    "kart": [  # four dark wheels, a body and a cockpit
        (lambda u, v: raster.box(np.abs(u), np.abs(v), 0.22, 0.16, 0.62, 0.6), "dark"),
        (lambda u, v: raster.box(u, v, 1.0, 0.48), "body"),
        (lambda u, v: raster.disc(u, v, 0.26, -0.15, 0.0), "detail"),
    ],
    "pickup": [  # a gift box with a ribbon cross
        (lambda u, v: raster.box(u, v, 0.75, 0.75), "body"),
        (lambda u, v: raster.box(u, v, 0.75, 0.14) | raster.box(u, v, 0.14, 0.75), "detail"),
    ],
    "nitro": [  # a bottle (body, neck), a dark cap and a band
        (lambda u, v: raster.box(u, v, 0.8, 0.4, 0.2) | raster.box(u, v, 0.2, 0.17, -0.75), "body"),
        (lambda u, v: raster.box(u, v, 0.08, 0.26, -1.0), "dark"),
        (lambda u, v: raster.box(u, v, 0.13, 0.4, 0.35), "detail"),
    ],
    "bomb": [  # a round body, a dark fuse and a spark
        (lambda u, v: raster.disc(u, v, 0.72), "body"),
        (lambda u, v: raster.box(u, v, 0.24, 0.07, 0.88), "dark"),
        (lambda u, v: raster.disc(u, v, 0.2, 1.18, 0.0), "detail"),
    ],
    "projectile": [  # swept fins, then a thin rocket with a pointed nose
        (lambda u, v: raster.triangle(u, v, -0.95, -0.2, 0.5), "detail"),
        (lambda u, v: raster.box(u, v, 0.7, 0.18) | raster.triangle(u, v, 0.7, 1.25, 0.18), "body"),
    ],
}

# Distractor primitives: parts of objects without their telltale details.
PRIMITIVES: tuple[Callable[[float], Shape], ...] = (
    lambda aspect: lambda u, v: raster.disc(u, v, 1.0),
    lambda aspect: lambda u, v: raster.box(u, v, 1.0, aspect),
    lambda aspect: lambda u, v: raster.box(u, v, 1.2, 0.22),
    lambda aspect: lambda u, v: raster.triangle(u, v, -0.8, 1.0, 0.8),
)


def stamp(
    img: np.ndarray,
    idx: np.ndarray,
    place: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    parts: list[tuple[Shape, np.ndarray]],
    *,
    label_map: np.ndarray | None = None,
    label: int = 0,
) -> None:
    """Paint parts (shape, colour (B, 3)) in order onto img[idx] (img: (B, 3, H, W)).

    place = (cx, cy, size, degrees), each (B,). With `label_map` (B, H, W), the union of
    the parts is also written there as `label`.
    """
    if len(idx) == 0:
        return
    cx, cy, size, deg = place
    h, w = img.shape[2:]
    u, v = raster.local_coords(cx[idx], cy[idx], size[idx], deg[idx], h, w)
    sub = img[idx]
    union = np.zeros((len(idx), h, w), dtype=bool) if label_map is not None else None
    for shape, colour in parts:
        mask = shape(u, v)
        raster.paint(sub, mask, colour[idx])
        if union is not None:
            union |= mask
    img[idx] = sub
    if label_map is not None and union is not None:
        sub_labels = label_map[idx]
        sub_labels[union] = label
        label_map[idx] = sub_labels
