"""Texts erased on request or past their retention time read as a marker in the database; people
see it in their own language."""

from __future__ import annotations

from cards.i18n import Texts
from storage.models import REDACTED


def readable(value: object, texts: Texts) -> object:
    return texts("privacy.redacted") if value == REDACTED else value


def is_redacted(value: object) -> bool:
    return value == REDACTED
