"""Vectorised, bit-reproducible rasterisation: shapes as masks over coordinate grids.

Every shape of a batch is drawn at once: a (B,) vector of centres, sizes and angles
becomes local coordinates u, v of shape (B, H, W), and a shape is a boolean expression
in u, v. Only +, -, *, / and comparisons run on arrays, so the pixels are identical on
every CPU (no vectorised sin/cos/exp whose SIMD versions differ between machines).
"""

from __future__ import annotations

import math

import numpy as np

# cos/sin of whole degrees, rounded to 6 decimals so a 1-ulp libm difference cannot
# change them, then stored as float32.
_DEGREES = np.arange(360)
COS = np.array([round(math.cos(math.radians(d)), 6) for d in range(360)], dtype=np.float32)
SIN = np.array([round(math.sin(math.radians(d)), 6) for d in range(360)], dtype=np.float32)


def local_coords(
    cx: np.ndarray, cy: np.ndarray, size: np.ndarray, degrees: np.ndarray, h: int, w: int
) -> tuple[np.ndarray, np.ndarray]:
    """Object-frame coordinates of every pixel centre, in units of the object's size.

    cx, cy, size: float32 (B,) in pixels; degrees: int (B,) in [0, 360).
    Returns u, v: float32 (B, H, W); the object's axis points along +u.
    """
    xs = np.arange(w, dtype=np.float32) + np.float32(0.5)
    ys = np.arange(h, dtype=np.float32) + np.float32(0.5)
    inv = (np.float32(1.0) / size.astype(np.float32))[:, None, None]
    dx = (xs[None, None, :] - cx.astype(np.float32)[:, None, None]) * inv  # (B, 1, W)
    dy = (ys[None, :, None] - cy.astype(np.float32)[:, None, None]) * inv  # (B, H, 1)
    c = COS[degrees][:, None, None]
    s = SIN[degrees][:, None, None]
    u = dx * c + dy * s
    v = dy * c - dx * s
    return u, v


def box(
    u: np.ndarray, v: np.ndarray, hu: float, hv: float, ou: float = 0.0, ov: float = 0.0
) -> np.ndarray:
    """Axis-aligned (in the object frame) box with half-extents hu, hv centred at (ou, ov)."""
    return (np.abs(u - np.float32(ou)) < hu) & (np.abs(v - np.float32(ov)) < hv)


def disc(u: np.ndarray, v: np.ndarray, r: float, ou: float = 0.0, ov: float = 0.0) -> np.ndarray:
    """Disc of radius r centred at (ou, ov)."""
    du = u - np.float32(ou)
    dv = v - np.float32(ov)
    return du * du + dv * dv < np.float32(r * r)


def ellipse(u: np.ndarray, v: np.ndarray, ru: float, rv: float) -> np.ndarray:
    """Ellipse with radii ru (along u) and rv, centred at the origin."""
    a = u * np.float32(1.0 / ru)
    b = v * np.float32(1.0 / rv)
    return a * a + b * b < np.float32(1.0)


def triangle(
    u: np.ndarray, v: np.ndarray, base_u: float, tip_u: float, half_w: float
) -> np.ndarray:
    """Isosceles triangle: base (width 2*half_w) at u=base_u, tip at u=tip_u."""
    length = tip_u - base_u
    t = (u - np.float32(base_u)) * np.float32(1.0 / length)  # 0 at the base, 1 at the tip
    return (t >= 0) & (t < 1) & (np.abs(v) < (np.float32(1.0) - t) * np.float32(half_w))


def paint(img: np.ndarray, mask: np.ndarray, colour: np.ndarray) -> None:
    """In place: img (B, 3, H, W) takes colour (B, 3) where mask (B, H, W) is set."""
    np.copyto(img, colour[:, :, None, None].astype(img.dtype), where=mask[:, None, :, :])


def contrasting(colour: np.ndarray, against: np.ndarray, min_l1: int = 150) -> np.ndarray:
    """Colours (B, 3) pushed away from `against` (B, 3): too-close ones are inverted.

    Keeps every object visible on its background without making colour class-specific.
    """
    diff = np.abs(colour.astype(np.int16) - against.astype(np.int16)).sum(axis=1)
    out = colour.copy()
    close = diff < min_l1
    out[close] = 255 - out[close]
    return out
