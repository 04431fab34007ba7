"""User-visible text from the locale resources in cards/locales: one YAML file per language
(fi, sv, en), Finnish by default. The files present are the languages the product speaks."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE = "fi"
# Finnish first: it is the default and the fallback for anything missing elsewhere.
LANGUAGES: tuple[str, ...] = (DEFAULT_LANGUAGE, *sorted(
    (p.stem for p in LOCALES_DIR.glob("*.yaml") if p.stem != DEFAULT_LANGUAGE), reverse=True))


@cache
def _catalogue(language: str) -> Mapping[str, object]:
    path = LOCALES_DIR / f"{language}.yaml"
    # BaseLoader keeps every scalar a string: YAML 1.1 would read keys such as "no" as False.
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    flat: dict[str, object] = {}

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
