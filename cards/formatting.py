"""Numbers, dates and times as people in each of our languages write them.

Babel formats from the CLDR data shipped in its wheel, so nothing is fetched at run time. Our
language codes map to the locales of Finnish organisations: Finland-Swedish (sv_FI) rather than
Sweden's, and British English (en_GB), whose day-month order matches Finnish habit.
"""

from __future__ import annotations

from datetime import date, datetime, time

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal, format_percent

from cards.i18n import DEFAULT_LANGUAGE

LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
MISSING = "–"  # a dash is not language, so it needs no translation


def locale(language: str) -> Locale:
    """The Babel locale for one of our language codes; unknown codes fall back to Finnish."""
    return Locale.parse(LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE]))


def number(value: float | int, language: str, decimals: int = 1) -> str:
    """4.3 → "4,3" (fi, sv) or "4.3" (en), with the locale's grouping ("12 345", "12,345").
    Integers get no decimals; other numbers always get `decimals` of them so a column lines up.
    Halves round to even, as CLDR prescribes and Python's own formatting does (4.25 → "4,2")."""
    places = 0 if isinstance(value, int) else decimals
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=locale(language))


def percent(share: float | None, language: str) -> str:
    """A share between 0 and 1 as a whole percentage: "43 %" (fi, sv) or "43%" (en);
    None (nothing to divide by) as a dash."""
    if share is None:
        return MISSING
    return format_percent(share, locale=locale(language))


def day(value: date | datetime, language: str) -> str:
    """CLDR's medium date: "1.12.2026" (fi), "1 dec. 2026" (sv), "1 Dec 2026" (en). Medium
    rather than short, because the short forms ("2026-12-01", "01/12/2026") are less familiar to
    Finland-Swedish readers and ambiguous to English ones."""
    return format_date(value, format="medium", locale=locale(language))


def clock_time(value: time | datetime, language: str) -> str:
    """Hours and minutes: "14.30" (fi), "14:30" (sv, en). Shown as given, with no time zone
    conversion, so pass the time as the reader's clock shows it (Europe/Helsinki)."""
    return format_time(value, format="short", locale=locale(language))


def month_name(value: date, language: str) -> str:
    """A month and year on its own: "marraskuu 2026", "november 2026", "November 2026"."""
    return format_skeleton("yMMMM", value, locale=locale(language))
