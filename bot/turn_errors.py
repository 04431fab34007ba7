"""The one place where an unexpected turn failure is logged and apologised for."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import ActivityTypes

from bot.logging_setup import new_reference
from cards.i18n import Texts
from dialogs.rules.language import language_of
from storage.db import StorageUnavailable

log = logging.getLogger("digimentor.turn")


class TurnFailed(Exception):
    """Carries the reference id to the HTTP layer after the user has been told."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    if isinstance(error, StorageUnavailable):
        # Nothing was committed; answering 503 makes the Bot Connector deliver the activity again.
        raise error
    reference = new_reference()
    activity = turn_context.activity
    log.exception(
        "turn failed",
        exc_info=error,
        extra={"reference": reference, "activity_type": activity.type, "activity_name": activity.name},
    )
    if activity.type in (ActivityTypes.message, ActivityTypes.invoke):
        texts = Texts(language_of(activity.locale))
        try:
            await turn_context.send_activity(texts("error.apology", reference=reference))
        except Exception:  # noqa: BLE001 - the apology is best effort; the log has the reference
            log.warning("could not send the apology", extra={"reference": reference})
    raise TurnFailed(reference) from error
