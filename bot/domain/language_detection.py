"""Which of Finnish, Swedish and English a question is written in.

py3langid ships its model inside the package (nothing is downloaded). Short texts such as
"teams" carry too little signal; then the user's Teams locale decides.
"""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

SUPPORTED = ("fi", "sv", "en")
MIN_CONFIDENCE = 0.9
MIN_WORDS = 2


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    # Loading the model takes most of a second; it is read-only, so one copy serves every app.
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(SUPPORTED))
    return identifier


class LanguageDetector:
    def __init__(self) -> None:
        self._identifier = _identifier()

    def detect(self, text: str, fallback: str) -> str:
        if len(text.split()) < MIN_WORDS:
            return fallback
        language, confidence = self._identifier.classify(text)
        return language if confidence >= MIN_CONFIDENCE else fallback
