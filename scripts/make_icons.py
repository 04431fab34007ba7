"""Draw the Teams app icons into manifest/: color.png (192x192) and outline.png (32x32).

Standard library only (zlib + struct write the PNG). The design is a speech bubble with the
letters "DM": white on the accent colour for the colour icon, a white outline on transparent
for the outline icon (Teams' rule for outline icons: white and transparent only). Shapes are
distance tests sampled 4x4 per pixel, so the edges are smooth.

    .venv/bin/python scripts/make_icons.py          # rewrite both files
    .venv/bin/python scripts/make_icons.py --check  # exit 1 if the files differ from a fresh drawing
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifest"
ACCENT = (0x00, 0x5F, 0x73)  # keep equal to accentColor in manifest/manifest.template.json
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4

Shape = Callable[[float, float], bool]


# -- shapes (coordinates in a 0..1 square) -----------------------------------------------------


def rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        dx = max(x0 + r - x, 0.0, x - (x1 - r))
        dy = max(y0 + r - y, 0.0, y - (y1 - r))
        return dx * dx + dy * dy <= r * r

    return inside


def triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    def side(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    def inside(x: float, y: float) -> bool:
        s1, s2, s3 = side(a, b, x, y), side(b, c, x, y), side(c, a, x, y)
        return (s1 >= 0 and s2 >= 0 and s3 >= 0) or (s1 <= 0 and s2 <= 0 and s3 <= 0)

    return inside


def stroke(points: list[tuple[float, float]], width: float) -> Shape:
    """A polyline drawn with a round pen."""
    half = width / 2
    segments = list(zip(points, points[1:], strict=False))

    def inside(x: float, y: float) -> bool:
        for (ax, ay), (bx, by) in segments:
            vx, vy = bx - ax, by - ay
            t = max(0.0, min(1.0, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)))
            if math.hypot(x - ax - t * vx, y - ay - t * vy) <= half:
                return True
        return False

    return inside


def arc(cx: float, cy: float, r: float, width: float) -> Shape:
    """The right half of a ring (the bowl of a D)."""
    half = width / 2

    def inside(x: float, y: float) -> bool:
        return x >= cx and abs(math.hypot(x - cx, y - cy) - r) <= half

    return inside


def union(*shapes: Shape) -> Shape:
    return lambda x, y: any(shape(x, y) for shape in shapes)


def minus(shape: Shape, hole: Shape) -> Shape:
    return lambda x, y: shape(x, y) and not hole(x, y)


# -- the design ---------------------------------------------------------------------------------


def bubble(inset: float = 0.0, *, left: float = 0.16, right: float = 0.84, top: float = 0.20,
           bottom: float = 0.70) -> Shape:
    """The speech bubble: a rounded box with a tail at the lower left."""
    box = rounded_rect(left + inset, top + inset, right - inset, bottom - inset, 0.12 - inset)
    tail_left = left + 0.12
    tail = triangle((tail_left + inset * 0.6, bottom - 0.04), (tail_left + 0.18 - inset * 1.6, bottom - 0.04),
                    (tail_left - 0.03 + inset * 0.9, bottom + 0.14 - inset * 2.2))
    return union(box, tail)


def letters_dm(width: float) -> Shape:
    """"DM" centred in the bubble, drawn with a round pen."""
    top, bottom = 0.355, 0.545
    mid = (top + bottom) / 2
    r = (bottom - top) / 2
    d_left = 0.285
    d_straight = 0.345
    d = union(
        stroke([(d_left, top), (d_left, bottom)], width),
        stroke([(d_left, top), (d_straight, top)], width),
        stroke([(d_left, bottom), (d_straight, bottom)], width),
        arc(d_straight, mid, r, width),
    )
    m_left, m_right = 0.535, 0.715
    m = stroke([(m_left, bottom), (m_left, top), ((m_left + m_right) / 2, mid + 0.035), (m_right, top),
                (m_right, bottom)], width)
    return union(d, m)


def colour_icon(size: int = 192) -> list[list[tuple[int, int, int, int]]]:
    mark = minus(bubble(), letters_dm(0.05))
    return render(size, lambda coverage: _mix(ACCENT, WHITE, coverage) + (255,), mark)


def outline_icon(size: int = 32) -> list[list[tuple[int, int, int, int]]]:
    # At 32 px a 1/16 stroke is 2 px: the bubble's edge and the letters, white on transparent.
    frame = {"left": 2 / 32, "right": 30 / 32, "top": 4 / 32, "bottom": 24 / 32}  # on whole pixels
    edge = minus(bubble(**frame), bubble(inset=1 / 16, **frame))
    mark = union(edge, letters_dm(1 / 16))
    return render(size, lambda coverage: WHITE + (round(255 * coverage),), mark)


def _mix(background: tuple[int, int, int], foreground: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return tuple(round(b + (f - b) * amount) for b, f in zip(background, foreground, strict=True))  # type: ignore[return-value]


def render(size: int, paint: Callable[[float], tuple[int, int, int, int]], shape: Shape):
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            hits = sum(
                shape((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size)
                for sy in range(SAMPLES)
                for sx in range(SAMPLES)
            )
            row.append(paint(hits / (SAMPLES * SAMPLES)))
        rows.append(row)
    return rows


# -- PNG ----------------------------------------------------------------------------------------


def png_bytes(rows: list[list[tuple[int, int, int, int]]]) -> bytes:
    """An 8-bit RGBA PNG (colour type 6), no interlace."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def icons() -> dict[str, bytes]:
    return {"color.png": png_bytes(colour_icon()), "outline.png": png_bytes(outline_icon())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the files in manifest/")
    parser.add_argument("--out", type=Path, default=MANIFEST_DIR, help="folder to write (default: manifest/)")
    args = parser.parse_args(argv)
    stale = []
    for name, data in icons().items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/make_icons.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
