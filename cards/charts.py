"""Small bar charts drawn server-side as PNG data URIs for Adaptive Cards.

Each bar carries its number as text and the two periods differ by pattern as well as shade, so
no meaning depends on colour alone (WCAG 2.1 AA); the card gives the same figures as alt text.
"""

from __future__ import annotations

import base64
import io
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

WIDTH, ROW, LABEL_WIDTH, MARGIN = 460, 26, 170, 8
CURRENT, PREVIOUS, TEXT = (0, 90, 158), (170, 170, 170), (30, 30, 30)


def bar_chart(rows: Sequence[tuple[str, int, int]], legend: tuple[str, str]) -> str:
    """rows: (label, current, previous). Returns a data: URI of a PNG under a few kilobytes."""
    font = ImageFont.load_default(size=12)
    height = MARGIN * 2 + ROW * len(rows) + 20
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    largest = max([1, *(max(current, previous) for _, current, previous in rows)])
    span = WIDTH - LABEL_WIDTH - MARGIN - 40
    for index, (label, current, previous) in enumerate(rows):
        top = MARGIN + index * ROW
        draw.text((MARGIN, top + 5), label[:28], font=font, fill=TEXT)
        for offset, value, shade, hatched in ((0, current, CURRENT, False), (11, previous, PREVIOUS, True)):
            length = max(1, int(span * value / largest)) if value else 0
            box = (LABEL_WIDTH, top + offset + 2, LABEL_WIDTH + length, top + offset + 10)
            if length:
                draw.rectangle(box, fill=shade)
                if hatched:
                    for x in range(LABEL_WIDTH, LABEL_WIDTH + length, 4):
                        draw.line((x, box[1], x, box[3]), fill="white")
            draw.text((LABEL_WIDTH + length + 4, top + offset), str(value), font=font, fill=TEXT)
    legend_top = height - 18
    draw.rectangle((MARGIN, legend_top + 3, MARGIN + 12, legend_top + 11), fill=CURRENT)
    draw.text((MARGIN + 16, legend_top), legend[0], font=font, fill=TEXT)
    draw.rectangle((MARGIN + 150, legend_top + 3, MARGIN + 162, legend_top + 11), fill=PREVIOUS)
    for x in range(MARGIN + 150, MARGIN + 162, 4):
        draw.line((x, legend_top + 3, x, legend_top + 11), fill="white")
    draw.text((MARGIN + 166, legend_top), legend[1], font=font, fill=TEXT)
    buffer = io.BytesIO()
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
