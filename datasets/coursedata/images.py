"""The `images` dataset: 64x64 RGB scenes, one object (or none) among clutter, 6 classes.

Classes differ in shape, not colour: every object's colours are drawn from the same
distribution, and the clutter reuses the object's parts (plain discs, boxes, bars), so a
model has to find the composite shape wherever it is (position, scale, rotation vary).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coursedata import raster

VERSION = 1
CLASSES = ("background", "kart", "pickup", "nitro", "bomb", "projectile")
SIZE = 64
SPLIT_SIZES = {"train": 10_000, "valid": 2_000, "test": 2_000}
HIDDEN_KEYS = ("labels",)  # arrays of the test split that only the grader may see
_CHUNK = 250  # images rendered at once: (250, 64, 64) float32 grids are 4 MB each


def balanced_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    """int64 (n,): each class n // 6 or n // 6 + 1 times, in random order."""
    labels = np.arange(n, dtype=np.int64) % len(CLASSES)
    return rng.permutation(labels)


def generate(
    n: int, rng: np.random.Generator, tick: Callable[[int], None] | None = None
) -> dict[str, np.ndarray]:
    """images uint8 (n, 3, 64, 64) and labels int64 (n,); `tick(k)` after every k images."""
    labels = balanced_labels(n, rng)
    images = np.empty((n, 3, SIZE, SIZE), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        images[start:stop] = render(labels[start:stop], rng)
        if tick is not None:
            tick(stop - start)
    return {"images": images, "labels": labels}


def render(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one image per label: background, clutter, decoy, object, occluders, noise."""
    b = len(labels)
    img, bg = _background(b, rng)
    for _ in range(4):  # clutter: up to 4 small distractors
        _draw_distractor(img, bg, rng, active=rng.random(b) < 0.7, size_px=(2.5, 7.0))
    # a decoy the size of an object (a part of one, without its telltale details)
    _draw_distractor(img, bg, rng, active=rng.random(b) < 0.6, size_px=(6.0, 11.0))
    cx, cy, size = _draw_object(img, bg, labels, rng)
    # partial occlusion: a small shape near the object's centre
    occl = rng.random(b) < 0.5
    offset = rng.uniform(-1.0, 1.0, size=(2, b)).astype(np.float32) * size
    _draw_distractor(img, bg, rng, active=occl, size_px=(2.0, 4.5), centre=(cx + offset[0], cy + offset[1]))
    amp = rng.integers(2, 17, size=b, dtype=np.int16)
    noise = rng.integers(-16, 17, size=img.shape, dtype=np.int16)
    img += noise * amp[:, None, None, None] // 16
    return np.clip(img, 0, 255).astype(np.uint8)


def _background(b: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """int16 (B, 3, H, W) backgrounds (colour + brightness gradient) and their colours (B, 3)."""
    bg = rng.integers(20, 236, size=(b, 3), dtype=np.int16)
    gx, gy = rng.integers(-30, 31, size=(2, b), dtype=np.int16)
    ramp = np.arange(SIZE, dtype=np.int16) - SIZE // 2  # (W,)
    shade = (gx[:, None, None] * ramp[None, None, :] + gy[:, None, None] * ramp[None, :, None]) // 32
    img = bg[:, :, None, None] + shade[:, None, :, :]
    return img.astype(np.int16), bg.astype(np.uint8)


def _random_colour(b: int, rng: np.random.Generator, against: np.ndarray) -> np.ndarray:
    return raster.contrasting(rng.integers(0, 256, size=(b, 3), dtype=np.uint8), against)


def _draw_distractor(
    img: np.ndarray,
    bg: np.ndarray,
    rng: np.random.Generator,
    *,
    active: np.ndarray,
    size_px: tuple[float, float],
    centre: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """One primitive (disc, box, bar or triangle) per image where `active` (B,) is set."""
    b = len(active)
    if centre is None:
        cx, cy = rng.uniform(0, SIZE, size=(2, b)).astype(np.float32)
    else:
        cx, cy = centre
    size = rng.uniform(*size_px, size=b).astype(np.float32)
    deg = rng.integers(0, 360, size=b)
    kind = rng.integers(0, 4, size=b)
    aspect = np.float32(rng.uniform(0.4, 1.0))
    colour = _random_colour(b, rng, bg)
    shapes = (
        lambda u, v: raster.disc(u, v, 1.0),
        lambda u, v: raster.box(u, v, 1.0, float(aspect)),
        lambda u, v: raster.box(u, v, 1.2, 0.22),
        lambda u, v: raster.triangle(u, v, -0.8, 1.0, 0.8),
    )
    for k, shape in enumerate(shapes):
        idx = np.flatnonzero(active & (kind == k))
        _stamp(img, idx, cx, cy, size, deg, [(shape, colour)])


def _draw_object(
    img: np.ndarray, bg: np.ndarray, labels: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw each image's object (none for background); return its centre and size (px)."""
    b = len(labels)
    cx, cy = rng.uniform(14, SIZE - 14, size=(2, b)).astype(np.float32)
    size = rng.uniform(8.5, 13.0, size=b).astype(np.float32)
    deg = rng.integers(0, 360, size=b)
    body = _random_colour(b, rng, bg)
    detail = _random_colour(b, rng, body)
    dark = rng.integers(0, 70, size=(b, 3), dtype=np.uint8)
    parts = {
        1: [  # kart: four dark wheels, a body and a cockpit
            (lambda u, v: raster.box(np.abs(u), np.abs(v), 0.22, 0.16, 0.62, 0.6), dark),
            (lambda u, v: raster.box(u, v, 1.0, 0.48), body),
            (lambda u, v: raster.disc(u, v, 0.26, -0.15, 0.0), detail),
        ],
        2: [  # pickup: a gift box with a ribbon cross
            (lambda u, v: raster.box(u, v, 0.75, 0.75), body),
            (lambda u, v: raster.box(u, v, 0.75, 0.14) | raster.box(u, v, 0.14, 0.75), detail),
        ],
        3: [  # nitro: a bottle (body, neck), a dark cap and a band
            (lambda u, v: raster.box(u, v, 0.8, 0.4, 0.2) | raster.box(u, v, 0.2, 0.17, -0.75), body),
            (lambda u, v: raster.box(u, v, 0.08, 0.26, -1.0), dark),
            (lambda u, v: raster.box(u, v, 0.13, 0.4, 0.35), detail),
        ],
        4: [  # bomb: a round body, a dark fuse and a spark
            (lambda u, v: raster.disc(u, v, 0.72), body),
            (lambda u, v: raster.box(u, v, 0.24, 0.07, 0.88), dark),
            (lambda u, v: raster.disc(u, v, 0.2, 1.18, 0.0), detail),
        ],
        5: [  # projectile: swept fins, then a thin rocket with a pointed nose
            (lambda u, v: raster.triangle(u, v, -0.95, -0.2, 0.5), detail),
            (lambda u, v: raster.box(u, v, 0.7, 0.18) | raster.triangle(u, v, 0.7, 1.25, 0.18), body),
        ],
    }
    for cls, shape_parts in parts.items():
        _stamp(img, np.flatnonzero(labels == cls), cx, cy, size, deg, shape_parts)
    return cx, cy, size


Shape = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _stamp(
    img: np.ndarray,
    idx: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    size: np.ndarray,
    deg: np.ndarray,
    parts: list[tuple[Shape, np.ndarray]],
) -> None:
    """Paint `parts` (shape in object coordinates, colour (B, 3)) in order onto img[idx]."""
    if len(idx) == 0:
        return
    u, v = raster.local_coords(cx[idx], cy[idx], size[idx], deg[idx], SIZE, SIZE)
    sub = img[idx]
    for shape, colour in parts:
        raster.paint(sub, shape(u, v), colour[idx])
    img[idx] = sub
