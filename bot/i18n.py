"""User-visible text from the locale resources in bot/locales (fi, sv, en; Finnish by default)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Mapping

import yaml

LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LOCALES_DIR = Path(__file__).with_name("locales")


def language_of(locale: str | None, fallback: str = DEFAULT_LANGUAGE) -> str:
    """'sv-FI' -> 'sv'; anything we do not speak falls back (Finnish by default)."""
    if locale:
        primary = locale.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return fallback


@lru_cache(maxsize=None)
def _catalogue(language: str) -> Mapping[str, str]:
    path = LOCALES_DIR / f"{language}.yaml"
    # BaseLoader keeps every scalar a string: YAML 1.1 would read keys such as "no" as False.
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    flat: dict[str, str] = {}

    def walk(prefix: str, node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = node

    walk("", data)
    return flat


class Texts:
    """The text catalogue of one language; missing keys fall back to Finnish, then to the key."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, **params: object) -> str:
        template = _catalogue(self.language).get(key)
        if template is None:
            template = _catalogue(DEFAULT_LANGUAGE).get(key, key)
        return template.format(**params) if params else template

    def list(self, key: str) -> list:
        value = _catalogue(self.language).get(key) or _catalogue(DEFAULT_LANGUAGE).get(key) or []
        return list(value)


def catalogue_keys(language: str) -> set[str]:
    return set(_catalogue(language))
