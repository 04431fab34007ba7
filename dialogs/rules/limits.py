"""Limits on what people may enter, each stated once; the cards show the same limits."""

from __future__ import annotations

# A weekly mentoring allowance above 40 hours is a typing slip, not a plan.
MAX_WEEKLY_MINUTES = 2400
# One stretch of help, or one logged session: at most a working day.
MAX_MINUTES_PER_ENTRY = 480
# Questions longer than this are pasted documents; the asker is asked to shorten them.
MAX_QUESTION_CHARACTERS = 2000
MAX_COMMENT_CHARACTERS = 1000
MAX_FAQ_PROPOSAL_CHARACTERS = 2000
MAX_LOG_NOTE_CHARACTERS = 500


def allowance_used_up(minutes_this_week: int, weekly_allowance: int) -> bool:
    return minutes_this_week >= weekly_allowance


def minutes_in_range(minutes: int | None) -> bool:
    return minutes is not None and 1 <= minutes <= MAX_MINUTES_PER_ENTRY


def allowance_in_range(minutes: int | None) -> bool:
    return minutes is not None and 0 <= minutes <= MAX_WEEKLY_MINUTES
