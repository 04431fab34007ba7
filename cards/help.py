"""The help card: what anyone can do, plus the commands of the roles the reader has."""

from __future__ import annotations

from collections.abc import Callable

from cards.base import adaptive_card, bullet_list, heading, paragraph, subheading

SECTIONS = (
    (None, "help.commands_title", ("help", "mentor", "book", "my_agreements", "survey"), "help.commands"),
    ("mentor", "help.mentor_commands_title",
     ("available", "away", "my_requests", "log", "log_agreement", "my_hours", "agreement"), "help.mentor_commands"),
    ("helper", "help.helper_commands_title", ("my_requests", "my_hours", "stop_helping"), "help.helper_commands"),
    ("coordinator", "help.coordinator_commands_title",
     ("stats", "impact", "gaps", "export", "mentors", "faq", "agreement", "coverage", "announce", "survey",
      "survey_status", "survey_results"), "help.coordinator_commands"),
    ("helpdesk", "help.helpdesk_commands_title", ("refer",), "help.helpdesk_commands"),
)
# Supervisors who coordinate see these among the coordinator's commands already.
SUPERVISOR_SECTION = ("supervisor", "help.supervisor_commands_title", ("survey_status", "survey_results"),
                      "help.supervisor_commands")


def help_card(texts: Callable[..., str], has_role: Callable[[str], bool], *, open_helpers: bool = False) -> dict:
    """`open_helpers`: the organisation's mentor model lets anyone offer help (open, both)."""
    body = [heading(texts("help.title")), paragraph(texts("help.ask"))]
    sections = SECTIONS if has_role("coordinator") else (*SECTIONS, SUPERVISOR_SECTION)
    for role, title_key, commands, prefix in sections:
        if role is not None and not has_role(role):
            continue
        if role == "helper" and has_role("mentor"):
            continue  # a mentor's own section has these
        lines = [texts(f"{prefix}.{command}") for command in commands]
        if role is None and open_helpers and not has_role("helper") and not has_role("mentor"):
            lines.append(texts("help.commands.help_with"))
        body.append(subheading(texts(title_key)))
        body.append(bullet_list(lines))
    body.append(paragraph(texts("help.privacy"), isSubtle=True, spacing="Medium"))
    return adaptive_card(body)
