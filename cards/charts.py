"""Small bar charts drawn server-side as PNG data URIs for Adaptive Cards.

Each bar carries its number as text and the two periods differ by pattern as well as shade, so
no meaning depends on colour alone (WCAG 2.1 AA); the card gives the same figures as alt text.

Drawn with matplotlib's object-oriented API only: pyplot keeps global state and is not safe to
use from the worker threads that draw these. The font is named on every text rather than through
the global rcParams, and it is DejaVu Sans, which matplotlib ships and which covers å, ä and ö
(Pillow's default bitmap font drew Finnish and Swedish labels with boxes).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import Affine2D
from PIL import Image

FONT_FAMILY = "DejaVu Sans"
# Layout in logical (CSS) pixels, as Teams lays out the card, with y growing downwards; stored at
# SCALE times that so the chart stays sharp on high-DPI screens.
WIDTH, SCALE = 460, 2
MARGIN, LABEL_HEIGHT, BAR_HEIGHT, BAR_GAP, ROW_GAP, LEGEND_HEIGHT = 8, 17, 10, 2, 9, 24
NUMBER_ROOM = 48  # right of the longest bar, so its number is never cut off
ROW_HEIGHT = LABEL_HEIGHT + 2 * BAR_HEIGHT + BAR_GAP + ROW_GAP
TEXT, CURRENT_SHADE, PREVIOUS_SHADE = "#1e1e1e", "#005a9e", "#737373"
TEXT_STEPS = 6
# Bars without antialiasing: at twice the resolution their edges look no different, and the
# PNG stays smaller without the blended edge pixels.
CURRENT = dict(facecolor=CURRENT_SHADE, edgecolor=CURRENT_SHADE, antialiased=False)
# White hatching on mid grey: the pattern tells the series apart, and the grey keeps at least
# 3:1 contrast with the white card (WCAG 1.4.11) where a light grey would not.
PREVIOUS = dict(facecolor=PREVIOUS_SHADE, edgecolor=PREVIOUS_SHADE, hatch="////", hatchcolor="white",
                antialiased=False)


def _palette_image() -> Image.Image:
    """White, the two bar shades (drawn without antialiasing, so they need no blends) and the
    text colour blended towards white in TEXT_STEPS: enough for smooth antialiased text, few
    enough for a small PNG. Fixed, so the same chart gives the same bytes, and mapping to it is
    much faster than an adaptive quantiser."""
    def rgb(colour: str) -> tuple[int, ...]:
        return tuple(round(channel * 255) for channel in to_rgb(colour))
    text = np.array(rgb(TEXT))
    ramp = [tuple(np.round(255 + (text - 255) * share).astype(int)) for share in
            np.linspace(1, 0, TEXT_STEPS, endpoint=False)]
    colours = [(255, 255, 255), rgb(CURRENT_SHADE), rgb(PREVIOUS_SHADE), *ramp]
    # Padded past 16 entries so Pillow writes 8 bits a pixel, not 4: deflate finds far more
    # repeats when every pixel is a whole byte (the PNG comes out 6–10 % smaller).
    colours += [(255, 255, 255)] * (17 - len(colours))
    image = Image.new("P", (1, 1))
    image.putpalette([int(channel) for colour in colours for channel in colour])
    return image


PALETTE = _palette_image()


def _font(size: float) -> FontProperties:
    return FontProperties(family=FONT_FAMILY, size=size)


# Labels are plain text: a pair of "$" in one must not turn the rest into mathematics.
PLAIN = dict(color=TEXT, parse_math=False)


def _draw_rows(figure: Figure, to_pixels: Affine2D, rows: Sequence[tuple[str, float | None, float | None]],
               largest: float | None = None, shown: Callable[[float | None], str] = str) -> None:
    """A missing value (None) gets no bar, and `shown(None)` as its text."""
    largest = largest or max([1, *(max(current or 0, previous or 0) for _, current, previous in rows)])
    span = WIDTH - 2 * MARGIN - NUMBER_ROOM
    label_font, number_font = _font(9.5), _font(8.5)
    for index, (label, current, previous) in enumerate(rows):
        top = MARGIN + index * ROW_HEIGHT
        figure.text(MARGIN, top + LABEL_HEIGHT - 4, label, fontproperties=label_font, va="baseline",
                    transform=to_pixels, **PLAIN)
        bar_top = top + LABEL_HEIGHT
        for value, style in ((current, CURRENT), (previous, PREVIOUS)):
            length = span * max(value or 0, 0) / largest
            if length:
                figure.add_artist(Rectangle((MARGIN, bar_top), max(length, 1), BAR_HEIGHT,
                                            linewidth=0.5, transform=to_pixels, **style))
            figure.text(MARGIN + length + 4, bar_top + BAR_HEIGHT / 2, shown(value),
                        fontproperties=number_font, va="center_baseline", transform=to_pixels,
                        **PLAIN)
            bar_top += BAR_HEIGHT + BAR_GAP


def _draw_legend(figure: Figure, legend: tuple[str, str], height: float) -> None:
    handles = [Patch(linewidth=0.5, **CURRENT), Patch(linewidth=0.5, **PREVIOUS)]
    key = figure.legend(handles, list(legend), loc="lower left", ncols=2, frameon=False,
                        prop=_font(9), handlelength=2.2, handleheight=1.0, columnspacing=2.0,
                        borderaxespad=0, bbox_to_anchor=(MARGIN / WIDTH, (MARGIN - 3) / height))
    for text in key.get_texts():
        text.update(PLAIN)


def _png(figure: Figure) -> bytes:
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    # Quantise the raw pixels ourselves rather than let matplotlib write a 24-bit PNG first.
    pixels = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
    indexed = pixels.quantize(palette=PALETTE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    indexed.save(buffer, format="PNG", optimize=True)  # Pillow writes no timestamp or software tag
    return buffer.getvalue()


def bar_chart(rows: Sequence[tuple[str, int, int]], legend: tuple[str, str]) -> str:
    """rows: (label, current, previous); legend: the names of the current and previous series.

    Returns a data: URI of a PNG WIDTH logical pixels wide, stored at SCALE times that; a
    five-row chart stays under 12,000 characters.
    """
    return _chart(rows, legend)


def scale_chart(rows: Sequence[tuple[str, float | None, float | None]], legend: tuple[str, str], top: float,
                shown: Callable[[float | None], str]) -> str:
    """Like bar_chart, for values on a scale up to `top` (survey means): `shown` writes each
    value the reader's way, and a value not shown (None) gets no bar and its text ("–")."""
    return _chart(rows, legend, largest=top, shown=shown)


def _chart(rows, legend: tuple[str, str], largest: float | None = None, shown: Callable = str) -> str:
    height = MARGIN + ROW_HEIGHT * len(rows) + LEGEND_HEIGHT
    # 100 dpi maps one logical pixel to 1/100 inch, so SCALE * 100 dpi stores SCALE pixels for it.
    figure = Figure(figsize=(WIDTH / 100, height / 100), dpi=100 * SCALE, facecolor="white")
    to_pixels = Affine2D().scale(SCALE, -SCALE).translate(0, height * SCALE)
    _draw_rows(figure, to_pixels, rows, largest, shown)
    _draw_legend(figure, legend, height)
    return "data:image/png;base64," + base64.b64encode(_png(figure)).decode("ascii")
