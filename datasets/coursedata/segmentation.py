"""The `segmentation` dataset: 96x128 race scenes with a per-pixel class mask.

Background and track dominate; karts, hazards and items are small and rare. Colours
overlap on purpose: background rocks often take the track's grey, and objects take any
colour, so a per-pixel colour rule fails where shape and context decide.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coursedata import raster, shapes

VERSION = 2
CLASSES = ("background", "kart", "track", "bomb/projectile", "pickup/nitro")
HEIGHT, WIDTH = 96, 128
SPLIT_SIZES = {"train": 2_000, "valid": 300, "test": 300}
KEYS = ("images", "masks")
HIDDEN_KEYS = ("masks",)
_CHUNK = 100
_ROCKS = 9  # background clutter per scene (each drawn with chance 0.75) ...
_TRACK_LIKE_ROCKS = 0.7  # ... this share of it in the track's colour
# (label, object kinds, most per scene, size range in px, chance to sit on the track)
_OBJECTS = (
    (1, ("kart",), 4, (5.0, 7.5), 1.0),
    (3, ("bomb", "projectile"), 3, (4.0, 6.0), 0.7),
    (4, ("pickup", "nitro"), 3, (4.0, 6.0), 0.7),
)


def generate(
    n: int, rng: np.random.Generator, tick: Callable[[int], None] | None = None
) -> dict[str, np.ndarray]:
    """images uint8 (n, 3, 96, 128) and masks uint8 (n, 96, 128) of class indices."""
    images = np.empty((n, 3, HEIGHT, WIDTH), dtype=np.uint8)
    masks = np.empty((n, HEIGHT, WIDTH), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        images[start:stop], masks[start:stop] = render(stop - start, rng)
        if tick is not None:
            tick(stop - start)
    return {"images": images, "masks": masks}


def render(b: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One chunk of scenes: (B, 3, H, W) uint8 images and (B, H, W) uint8 masks."""
    bg, track = _palette(b, rng)
    ramp_x = np.arange(WIDTH, dtype=np.int16) - WIDTH // 2
    ramp_y = np.arange(HEIGHT, dtype=np.int16) - HEIGHT // 2
    gx, gy = rng.integers(-20, 21, size=(2, b), dtype=np.int16)
    shade = (
        gx[:, None, None] * ramp_x[None, None, :] + gy[:, None, None] * ramp_y[None, :, None]
    ) // 64
    img = bg.astype(np.int16)[:, :, None, None] + shade[:, None]
    mask = np.zeros((b, HEIGHT, WIDTH), dtype=np.uint8)
    _draw_rocks(img, bg, track, rng)
    centre_y, half_width = _draw_track(img, mask, track, rng)
    for label, kinds, most, size_px, on_track_p in _OBJECTS:
        for slot in range(most):
            active = rng.integers(0, most + 1, size=b) > slot
            _draw_objects(
                img, mask, bg, rng, active, label, kinds, size_px, on_track_p, centre_y, half_width
            )
    amp = rng.integers(2, 13, size=b, dtype=np.int16)
    img += rng.integers(-16, 17, size=img.shape, dtype=np.int16) * amp[:, None, None, None] // 16
    return np.clip(img, 0, 255).astype(np.uint8), mask


def _palette(b: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Background and track colours (B, 3): usually grass and tarmac, sometimes anything."""
    grass = np.stack(
        [rng.integers(40, 130, b), rng.integers(90, 190, b), rng.integers(30, 100, b)], 1
    )
    grey = rng.integers(70, 171, size=(b, 1)) + rng.integers(-12, 13, size=(b, 3))
    odd = rng.random(b) < 0.35  # an unusual palette: any colours, kept apart
    bg = np.where(odd[:, None], rng.integers(0, 256, size=(b, 3)), grass).astype(np.uint8)
    track = np.where(odd[:, None], rng.integers(0, 256, size=(b, 3)), grey).astype(np.uint8)
    return bg, raster.contrasting(track, bg, min_l1=120)


def _draw_rocks(
    img: np.ndarray, bg: np.ndarray, track: np.ndarray, rng: np.random.Generator
) -> None:
    """Background clutter; most of it in the track's colour (still background)."""
    b = len(bg)
    for _ in range(_ROCKS):
        active = rng.random(b) < 0.75
        cx = rng.uniform(0, WIDTH, size=b).astype(np.float32)
        cy = rng.uniform(0, HEIGHT, size=b).astype(np.float32)
        size = rng.uniform(3.0, 12.0, size=b).astype(np.float32)
        deg = rng.integers(0, 360, size=b)
        kind = rng.integers(0, len(shapes.PRIMITIVES), size=b)
        jitter = rng.integers(-15, 16, size=(b, 3))
        track_like = np.clip(track.astype(np.int16) + jitter, 0, 255).astype(np.uint8)
        other = raster.contrasting(rng.integers(0, 256, size=(b, 3), dtype=np.uint8), bg, 80)
        colour = np.where((rng.random(b) < _TRACK_LIKE_ROCKS)[:, None], track_like, other)
        aspect = float(rng.uniform(0.4, 1.0))
        for k, primitive in enumerate(shapes.PRIMITIVES):
            idx = np.flatnonzero(active & (kind == k))
            shapes.stamp(img, idx, (cx, cy, size, deg), [(primitive(aspect), colour)])


def _curve(
    rng: np.random.Generator, b: int, n: int, centre_range: tuple[float, float]
) -> np.ndarray:
    """A random cubic centre line sampled at n points: float32 (B, n)."""
    t = (np.arange(n, dtype=np.float32) - np.float32(n / 2)) / np.float32(n)  # [-0.5, 0.5)
    c0 = rng.uniform(*centre_range, size=b).astype(np.float32)[:, None]
    c1, c2, c3 = (
        rng.uniform(-lim, lim, size=b).astype(np.float32)[:, None] for lim in (40, 90, 150)
    )
    return c0 + t * (c1 + t * (c2 + t * c3))


def _draw_track(
    img: np.ndarray, mask: np.ndarray, track: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A curvy road across the scene, sometimes a crossing one; returns its centre line
    y(x) (B, W) and half width (B,) for placing karts."""
    b = len(track)
    ys = np.arange(HEIGHT, dtype=np.float32)[None, :, None]
    xs = np.arange(WIDTH, dtype=np.float32)[None, None, :]
    centre_y = _curve(rng, b, WIDTH, (30.0, HEIGHT - 30.0))  # (B, W)
    half = rng.uniform(6.0, 12.0, size=b).astype(np.float32)
    main_road = np.abs(ys - centre_y[:, None, :]) < half[:, None, None]  # (B, H, W)
    centre_x = _curve(rng, b, HEIGHT, (30.0, WIDTH - 30.0))  # (B, H)
    crossing = (rng.random(b) < 0.4)[:, None, None]
    road = main_road | crossing & (np.abs(xs - centre_x[:, :, None]) < half[:, None, None])
    raster.paint(img, road, track)
    # dashed white kerb lines on some tracks: still track
    kerb = main_road & (np.abs(ys - centre_y[:, None, :]) > half[:, None, None] - 1.5)
    kerb &= ((np.arange(WIDTH)[None, None, :] // 4) % 2 == 0) & (rng.random(b) < 0.5)[:, None, None]
    white = np.full((b, 3), 235, dtype=np.uint8)
    raster.paint(img, kerb, white)
    mask[road] = 2
    return centre_y, half


def _draw_objects(
    img: np.ndarray,
    mask: np.ndarray,
    bg: np.ndarray,
    rng: np.random.Generator,
    active: np.ndarray,
    label: int,
    kinds: tuple[str, ...],
    size_px: tuple[float, float],
    on_track_p: float,
    centre_y: np.ndarray,
    half_width: np.ndarray,
) -> None:
    """One object per scene where `active` (B,): a kind from `kinds`, labelled `label`."""
    b = len(active)
    col = rng.integers(8, WIDTH - 8, size=b)
    on_track = rng.random(b) < on_track_p
    offset = rng.uniform(-0.6, 0.6, size=b).astype(np.float32) * half_width
    cx = col.astype(np.float32)
    cy = np.where(
        on_track,
        centre_y[np.arange(b), col] + offset,
        rng.uniform(6, HEIGHT - 6, size=b).astype(np.float32),
    ).astype(np.float32)
    size = rng.uniform(*size_px, size=b).astype(np.float32)
    deg = (rng.integers(-20, 21, size=b) + 180 * rng.integers(0, 2, size=b)) % 360
    body = raster.contrasting(rng.integers(0, 256, size=(b, 3), dtype=np.uint8), bg, 100)
    detail = raster.contrasting(rng.integers(0, 256, size=(b, 3), dtype=np.uint8), body)
    dark = rng.integers(0, 70, size=(b, 3), dtype=np.uint8)
    colours = {"body": body, "detail": detail, "dark": dark}
    kind = rng.integers(0, len(kinds), size=b)
    for k, name in enumerate(kinds):
        parts = [(shape, colours[role]) for shape, role in shapes.OBJECT_PARTS[name]]
        idx = np.flatnonzero(active & (kind == k))
        shapes.stamp(img, idx, (cx, cy, size, deg), parts, label_map=mask, label=label)
