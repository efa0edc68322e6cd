"""The `images` dataset: 64x64 RGB scenes, one object (or none) among clutter, 6 classes.

Classes differ in shape, not colour: every object's colours are drawn from the same
distribution, and the clutter reuses the object's parts (plain discs, boxes, bars), so a
model has to find the composite shape wherever it is (position, scale, rotation vary).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coursedata import raster, shapes

VERSION = 3
CLASSES = ("background", "kart", "pickup", "nitro", "bomb", "projectile")
SIZE = 64
SPLIT_SIZES = {"train": 10_000, "valid": 2_000, "test": 2_000}
KEYS = ("images", "labels")
HIDDEN_KEYS = ("labels",)  # arrays of the test split that only the grader may see
_CHUNK = 250
# Difficulty knobs (see datasets/images.md for the ladder they produce).
CENTRE_JITTER_PX = 12.0  # object centre: image centre +- this
MAX_TILT_DEG = 30  # heading: 0 or 180 degrees (a flip), tilted by up to this
PALETTE_P = 0.7  # chance that an object's body takes its class's colour (a weak cue)
# class palette colours (RGB), jittered by +-PALETTE_JITTER per channel
PALETTE = np.array(
    [[0, 0, 0], [220, 50, 40], [240, 200, 40], [40, 110, 235], [45, 45, 55], [235, 130, 30]],
    dtype=np.int16,
)
PALETTE_JITTER = 50  # images rendered at once: (250, 64, 64) float32 grids are 4 MB each


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
    for _ in range(3):  # clutter: up to 3 small distractors
        _draw_distractor(img, bg, rng, active=rng.random(b) < 0.5, size_px=(2.0, 5.0))
    # a decoy the size of an object (a part of one, without its telltale details)
    _draw_distractor(img, bg, rng, active=rng.random(b) < 0.3, size_px=(5.0, 8.0))
    cx, cy, size = _draw_object(img, bg, labels, rng)
    # partial occlusion: a small shape near the object's centre
    occl = rng.random(b) < 0.3
    offset = rng.uniform(-1.0, 1.0, size=(2, b)).astype(np.float32) * size
    _draw_distractor(
        img, bg, rng, active=occl, size_px=(1.5, 3.5), centre=(cx + offset[0], cy + offset[1])
    )
    amp = rng.integers(2, 11, size=b, dtype=np.int16)
    noise = rng.integers(-16, 17, size=img.shape, dtype=np.int16)
    img += noise * amp[:, None, None, None] // 16
    return np.clip(img, 0, 255).astype(np.uint8)


def _background(b: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """int16 (B, 3, H, W) backgrounds (colour + brightness gradient) and their colours (B, 3)."""
    # muted backgrounds (a grey level with a tint) so objects' colours stand out
    grey = rng.integers(40, 216, size=(b, 1), dtype=np.int16)
    bg = np.clip(grey + rng.integers(-35, 36, size=(b, 3), dtype=np.int16), 0, 255)
    gx, gy = rng.integers(-30, 31, size=(2, b), dtype=np.int16)
    ramp = np.arange(SIZE, dtype=np.int16) - SIZE // 2  # (W,)
    shade = (
        gx[:, None, None] * ramp[None, None, :] + gy[:, None, None] * ramp[None, :, None]
    ) // 32
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
    for k, primitive in enumerate(shapes.PRIMITIVES):
        idx = np.flatnonzero(active & (kind == k))
        shapes.stamp(img, idx, (cx, cy, size, deg), [(primitive(float(aspect)), colour)])


def _draw_object(
    img: np.ndarray, bg: np.ndarray, labels: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw each image's object (none for background); return its centre and size (px)."""
    b = len(labels)
    jitter = rng.uniform(-CENTRE_JITTER_PX, CENTRE_JITTER_PX, size=(2, b)).astype(np.float32)
    cx, cy = np.float32(SIZE / 2) + jitter
    size = rng.uniform(10.0, 14.0, size=b).astype(np.float32)
    tilt = rng.integers(-MAX_TILT_DEG, MAX_TILT_DEG + 1, size=b)
    deg = (tilt + 180 * rng.integers(0, 2, size=b)) % 360
    shift = rng.integers(-PALETTE_JITTER, PALETTE_JITTER + 1, size=(b, 3), dtype=np.int16)
    palette = np.clip(PALETTE[labels] + shift, 0, 255).astype(np.uint8)
    use_palette = (rng.random(b) < PALETTE_P)[:, None]
    body = raster.contrasting(
        np.where(use_palette, palette, rng.integers(0, 256, size=(b, 3), dtype=np.uint8)), bg
    )
    detail = _random_colour(b, rng, body)
    dark = rng.integers(0, 70, size=(b, 3), dtype=np.uint8)
    colours = {"body": body, "detail": detail, "dark": dark}
    for cls, name in enumerate(CLASSES[1:], start=1):
        parts = [(shape, colours[role]) for shape, role in shapes.OBJECT_PARTS[name]]
        shapes.stamp(img, np.flatnonzero(labels == cls), (cx, cy, size, deg), parts)
    return cx, cy, size
