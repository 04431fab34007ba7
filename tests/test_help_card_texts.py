"""Every line of the help card is a text from the locale files, for every role in every
language: a missing key would show the user its raw name ("help.mentor_commands.agreement")."""

import json

import pytest

from cards.help import help_card
from cards.i18n import Texts

ROLES = ("employee", "mentor", "helper", "coordinator", "supervisor", "helpdesk")


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("open_helpers", [False, True])
def test_no_help_card_line_is_a_raw_locale_key(language, open_helpers):
    card = json.dumps(help_card(Texts(language), lambda role: role in ROLES, open_helpers=open_helpers),
                      ensure_ascii=False)
    assert "help." not in card
