"""Coordinator charts draw Finnish and Swedish labels with real glyphs, fit in a Teams card, and
the numbers and dates around them are written the way each language writes them."""

from __future__ import annotations

import base64
import io
import logging
import re
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, time

import pytest
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from PIL import Image

from cards import charts, formatting
from cards.i18n import LANGUAGES, Texts

NOVEMBER, OCTOBER = date(2026, 11, 1), date(2026, 10, 1)
COUNTS = [(42, 37), (18, 21), (14, 9), (12, 8), (3, 5)]
# The labels the statistics card draws, in every language the product speaks.
LABELS = {language: [Texts(language)(f"stats.{key}") for key in
                     ("questions", "answered_by_faq", "handed", "resolved", "unanswered")]
          for language in LANGUAGES}
# The data URI goes inside an Adaptive Card that Teams rejects above 28 KB, with text beside it.
FIVE_ROW_BUDGET = 12_000
FONT_COMPLAINT = re.compile(r"missing from font|findfont", re.IGNORECASE)


def chart_for(language: str) -> tuple[list[tuple[str, int, int]], tuple[str, str]]:
    rows = [(label, now, before) for label, (now, before) in zip(LABELS[language], COUNTS, strict=True)]
    return rows, (formatting.month_name(NOVEMBER, language), formatting.month_name(OCTOBER, language))


def png_of(uri: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(uri[len(prefix):], validate=True)))
    image.load()
    return image


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


@contextmanager
def font_complaints() -> Iterator[list[str]]:
    """What matplotlib says about glyphs or fonts it could not find while drawing. Missing glyphs
    come as UserWarnings through `warnings`; a font family it cannot find is logged by
    matplotlib.font_manager. Listen to both, so a change of channel cannot hide a problem."""
    said: list[str] = []
    logger = logging.getLogger("matplotlib")
    handler = _Collect(said)
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # a warning seen once before must be seen again
            yield said
            said.extend(str(warning.message) for warning in caught)
    finally:
        logger.removeHandler(handler)
    said[:] = [message for message in said if FONT_COMPLAINT.search(message)]


def characters_the_chart_font_lacks(text: str) -> set[str]:
    """Characters of text with no glyph in the font the charts ask for; findfont must find that
    very family, not fall back to another."""
    path = findfont(FontProperties(family=charts.FONT_FAMILY), fallback_to_default=False)
    font = FT2Font(path)
    assert font.family_name == charts.FONT_FAMILY
    return {character for character in text if font.get_char_index(ord(character)) == 0}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_label_is_drawn_with_real_glyphs(language: str) -> None:
    rows, legend = chart_for(language)
    with font_complaints() as complaints:
        charts.bar_chart(rows, legend)
    assert complaints == []
    shown = "".join(label for label, _, _ in rows) + "".join(legend) + "0123456789"
    assert characters_the_chart_font_lacks(shown) == set()
    if language != "en":
        assert set(shown) & set("äöå")  # the characters Pillow's default font drew as boxes


def test_a_character_the_font_lacks_is_caught_both_ways() -> None:
    """The checks above could pass by never looking; show that they notice a real gap."""
    lacking = "漢🙂"
    assert characters_the_chart_font_lacks("Kysymyksiä " + lacking) == set(lacking)
    with font_complaints() as complaints:
        charts.bar_chart([("Kysymyksiä " + lacking, 1, 2)], ("marraskuu 2026", "lokakuu 2026"))
    assert len(complaints) == 2
    assert all("missing from font" in complaint for complaint in complaints)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_five_row_chart_is_a_sharp_png_within_the_card_budget(language: str) -> None:
    uri = charts.bar_chart(*chart_for(language))
    image = png_of(uri)
    logical_height = charts.MARGIN + 5 * charts.ROW_HEIGHT + charts.LEGEND_HEIGHT
    assert charts.SCALE == 2
    assert image.size == (2 * charts.WIDTH, 2 * logical_height)
    assert len(uri) <= FIVE_ROW_BUDGET


def test_both_series_are_drawn_in_their_own_shade() -> None:
    image = png_of(charts.bar_chart(*chart_for("fi"))).convert("RGB")
    colours = {colour for _, colour in image.getcolors(256)}
    assert {(0x00, 0x5A, 0x9E), (0x73, 0x73, 0x73), (255, 255, 255)} <= colours


def test_charts_follow_their_data_and_repeat_exactly() -> None:
    rows, legend = chart_for("fi")
    first = charts.bar_chart(rows, legend)
    assert charts.bar_chart(rows, legend) == first
    assert charts.bar_chart([(rows[0][0], 1, 40), *rows[1:]], legend) != first


def test_worker_threads_draw_the_same_charts_as_one_thread() -> None:
    work = [chart_for(language) for language in ("fi", "sv", "en")] * 2
    alone = [charts.bar_chart(rows, legend) for rows, legend in work]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(lambda job: charts.bar_chart(*job), work))
    assert together == alone


def test_empty_and_zero_charts_still_render() -> None:
    assert png_of(charts.bar_chart([], ("Käytetty", "Kiintiö"))).width == 2 * charts.WIDTH
    assert png_of(charts.bar_chart([("Tällä viikolla", 0, 0)], ("Käytetty", "Kiintiö"))).height > 0


@pytest.mark.parametrize("language, expected", [("fi", "4,3"), ("sv", "4,3"), ("en", "4.3")])
def test_decimal_comma_where_the_language_uses_one(language: str, expected: str) -> None:
    assert formatting.number(4.3, language) == expected


def test_integers_and_large_numbers() -> None:
    assert formatting.number(7, "fi") == "7"
    assert formatting.number(12345, "fi") == "12\u00a0345"  # no-break space: never split a number
    assert formatting.number(12345, "en") == "12,345"
    assert formatting.number(4.0, "fi") == "4,0"
    assert formatting.number(1234.5, "en", decimals=2) == "1,234.50"


def test_percent() -> None:
    assert formatting.percent(0.43, "fi") == "43\u00a0%"
    assert formatting.percent(0.43, "en") == "43%"
    assert formatting.percent(1, "sv") == "100\u00a0%"
    assert formatting.percent(None, "fi") == "–"


def test_days_as_each_language_writes_them() -> None:
    assert formatting.day(date(2026, 12, 1), "fi") == "1.12.2026"
    assert formatting.day(datetime(2026, 12, 1, 9, 0), "fi") == "1.12.2026"
    assert formatting.day(date(2026, 12, 1), "sv") == "1 dec. 2026"
    assert formatting.day(date(2026, 12, 1), "en") == "1 Dec 2026"


def test_clock_times() -> None:
    assert formatting.clock_time(time(14, 30), "fi") == "14.30"
    assert formatting.clock_time(datetime(2026, 12, 1, 9, 5), "fi") == "9.05"
    assert formatting.clock_time(time(14, 30), "sv") == "14:30"
    assert formatting.clock_time(time(14, 30), "en") == "14:30"


def test_month_names() -> None:
    assert formatting.month_name(NOVEMBER, "fi") == "marraskuu 2026"
    assert formatting.month_name(NOVEMBER, "sv") == "november 2026"
    assert formatting.month_name(NOVEMBER, "en") == "November 2026"


def test_unknown_language_falls_back_to_finnish() -> None:
    assert formatting.number(4.3, "de") == "4,3"
