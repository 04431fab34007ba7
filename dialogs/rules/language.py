"""Which language to answer in: the question's own, the Teams locale, or the directory's.

py3langid ships its model inside the package (nothing is downloaded). Short texts such as
"teams" carry too little signal; then the person's language decides.
"""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from cards.i18n import DEFAULT_LANGUAGE, LANGUAGES

MIN_CONFIDENCE = 0.9
MIN_WORDS = 2


def language_of(locale: str | None, fallback: str = DEFAULT_LANGUAGE) -> str:
    """'sv-FI' -> 'sv'; anything we do not speak falls back (Finnish by default)."""
    if locale:
        primary = locale.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return fallback


def preferred_language(locale_language: str | None, directory_languages: tuple[str, ...]) -> str:
    """The Teams locale when the person speaks it, else their first directory language.

    Teams reports the client's UI language, which is often English even for people who work
    in Finnish; the directory says which languages they actually use.
    """
    if locale_language and (not directory_languages or locale_language in directory_languages):
        return locale_language
    return directory_languages[0] if directory_languages else (locale_language or DEFAULT_LANGUAGE)


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    # Loading the model takes most of a second; it is read-only, so one copy serves every app.
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


class LanguageDetector:
    def __init__(self) -> None:
        self._identifier = _identifier()

    def detect(self, text: str, fallback: str) -> str:
        if len(text.split()) < MIN_WORDS:
            return fallback
        language, confidence = self._identifier.classify(text)
        return language if confidence >= MIN_CONFIDENCE else fallback
