#!/usr/bin/env python3
"""Draw bpo's brand images into ``custom_components/bpo/brand/`` (HA 2026.3+ serves them from there).

The mark is a fork-join process graph (a start, two parallel tasks, a join) in white on a blue rounded
square; the logo puts the mark beside a "bpo" wordmark built from the same strokes. Shapes are signed
distance functions rendered with one-pixel anti-aliasing and written as RGBA PNG with zlib alone, so the
script needs nothing beyond the standard library and always produces the same bytes.

Sizes follow the Home Assistant brands rules: icon 256x256 (@2x 512x512); logo with its shortest side
128 (@2x 256), trimmed; dark variants where the light one would vanish on a dark background.

    python scripts/make_brand.py            # (re)write the images
    python scripts/make_brand.py --check    # exit 1 when a committed image differs from what this draws
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

BRAND = Path(__file__).resolve().parent.parent / "custom_components" / "bpo" / "brand"
Color = tuple[int, int, int]
BLUE: Color = (37, 99, 235)
WHITE: Color = (255, 255, 255)
INK: Color = (30, 41, 59)  # wordmark on light backgrounds
LIGHT_INK: Color = (226, 232, 240)  # wordmark on dark backgrounds
# distance (in pixels) from a pixel centre to a shape; negative inside
Shape = Callable[[float, float], float]


def circle(cx: float, cy: float, r: float) -> Shape:
    return lambda x, y: math.hypot(x - cx, y - cy) - r


def ring(cx: float, cy: float, r: float, width: float) -> Shape:
    return lambda x, y: abs(math.hypot(x - cx, y - cy) - r) - width / 2


def capsule(ax: float, ay: float, bx: float, by: float, width: float) -> Shape:
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy

    def distance(x: float, y: float) -> float:
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length2))
        return math.hypot(x - ax - t * dx, y - ay - t * dy) - width / 2

    return distance


def rounded_square(cx: float, cy: float, half: float, radius: float) -> Shape:
    def distance(x: float, y: float) -> float:
        qx, qy = abs(x - cx) - half + radius, abs(y - cy) - half + radius
        return math.hypot(max(qx, 0.0), max(qy, 0.0)) + min(max(qx, qy), 0.0) - radius

    return distance


def mark(size: float, ox: float = 0.0) -> list[tuple[Shape, Color]]:
    """The icon: blue rounded square with the white fork-join graph, ``size`` pixels wide at x = ``ox``."""

    def at(u: float) -> float:
        return u * size

    edge = at(0.04)
    nodes = [(0.24, 0.5), (0.5, 0.29), (0.5, 0.71), (0.76, 0.5)]
    shapes: list[tuple[Shape, Color]] = [(rounded_square(ox + at(0.5), at(0.5), at(0.5), at(0.22)), BLUE)]
    for (ax, ay), (bx, by) in (
        (nodes[0], nodes[1]),
        (nodes[0], nodes[2]),
        (nodes[1], nodes[3]),
        (nodes[2], nodes[3]),
    ):
        shapes.append((capsule(ox + at(ax), at(ay), ox + at(bx), at(by), edge), WHITE))
    shapes.append((circle(ox + at(0.24), at(0.5), at(0.085)), WHITE))  # start
    for _x, y in nodes[1:3]:  # the two parallel tasks
        shapes.append((rounded_square(ox + at(0.5), at(y), at(0.08), at(0.03)), WHITE))
    shapes.append((circle(ox + at(0.76), at(0.5), at(0.085)), WHITE))  # the join / end: a bullseye
    shapes.append((circle(ox + at(0.76), at(0.5), at(0.04)), BLUE))
    return shapes


def wordmark(height: float, x0: float, ink: Color) -> tuple[list[tuple[Shape, Color]], float]:
    """ "bpo" from stems and rings; returns the shapes and the right edge."""
    r, stroke, gap, cy = 0.2 * height, 0.085 * height, 0.1 * height, 0.55 * height
    shapes: list[tuple[Shape, Color]] = []
    x = x0 + stroke / 2
    shapes += [(capsule(x, 0.15 * height, x, cy + r, stroke), ink), (ring(x + r, cy, r, stroke), ink)]  # b
    x += 2 * r + stroke + gap
    shapes += [(capsule(x, cy - r, x, 0.94 * height, stroke), ink), (ring(x + r, cy, r, stroke), ink)]  # p
    x += 2 * r + stroke + gap - stroke / 2
    shapes.append((ring(x + r + stroke / 2, cy, r, stroke), ink))  # o
    return shapes, x + 2 * r + stroke


def render(width: int, height: int, shapes: list[tuple[Shape, Color]]) -> bytes:
    """RGBA rows, each shape painted over the ones before with its anti-aliased coverage."""
    rows = bytearray()
    for py in range(height):
        rows.append(0)  # PNG filter: none
        y = py + 0.5
        for px in range(width):
            x = px + 0.5
            red = green = blue = alpha = 0.0
            for shape, (sr, sg, sb) in shapes:
                cover = min(1.0, max(0.0, 0.5 - shape(x, y)))
                if cover <= 0.0:
                    continue
                keep = alpha * (1.0 - cover)  # what shows through of the shapes below ("over")
                out = cover + keep
                red = (sr * cover + red * keep) / out
                green = (sg * cover + green * keep) / out
                blue = (sb * cover + blue * keep) / out
                alpha = out
            rows += bytes((round(red), round(green), round(blue), round(alpha * 255)))
    return bytes(rows)


def png(width: int, height: int, rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


def icon(size: int) -> bytes:
    return png(size, size, render(size, size, mark(size)))


def logo(height: int, ink: Color) -> bytes:
    letters, right = wordmark(height, 1.16 * height, ink)
    width = math.ceil(right)
    return png(width, height, render(width, height, [*mark(height), *letters]))


def images() -> dict[str, bytes]:
    return {
        "icon.png": icon(256),
        "icon@2x.png": icon(512),
        "logo.png": logo(128, INK),
        "logo@2x.png": logo(256, INK),
        "dark_logo.png": logo(128, LIGHT_INK),
        "dark_logo@2x.png": logo(256, LIGHT_INK),
    }


def main(argv: list[str]) -> int:
    drawn = images()
    if "--check" in argv:
        stale = [
            n for n, data in drawn.items() if not (BRAND / n).is_file() or (BRAND / n).read_bytes() != data
        ]
        for name in stale:
            print(f"{BRAND / name} differs from what scripts/make_brand.py draws", file=sys.stderr)
        return 1 if stale else 0
    BRAND.mkdir(exist_ok=True)
    for name, data in drawn.items():
        (BRAND / name).write_bytes(data)
        print(f"wrote {BRAND / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
