"""Every line of the help card is a text from the locale files, for every role in every
language: a missing key would show the user its raw name ("help.mentor_commands.agreement")."""

import json

import pytest

from cards.help import help_card
from cards.i18n import Texts

ROLES = ("employee", "mentor", "helper", "coordinator", "supervisor", "helpdesk")
# Each role alone (a helper's own section, an employee's "I can help with"), and all at once.
HOLDERS = [(role,) for role in ROLES] + [ROLES]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("open_helpers", [False, True])
@pytest.mark.parametrize("roles", HOLDERS, ids="+".join)
def test_no_help_card_line_is_a_raw_locale_key(language, open_helpers, roles):
    card = json.dumps(help_card(Texts(language), lambda role: role in roles, open_helpers=open_helpers),
                      ensure_ascii=False)
    assert "help." not in card
