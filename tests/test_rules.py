"""Plain-Python rules: commands, mentions, configuration and the locale resources."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.domain.commands import COMMANDS, Command, parse_command
from bot.domain.mentions import strip_bot_mentions
from bot.i18n import LANGUAGES, Texts, catalogue_keys, language_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Command("help")),
        ("OHJE", Command("help")),
        ("apua!", Command("help")),
        ("hjälp", Command("help")),
        ("mentor miten jaan näytön?", Command("mentor", "miten jaan näytön?")),
        ("Mentori   tulostin ei toimi", Command("mentor", "tulostin ei toimi")),
        ("omat pyynnöt", Command("my requests")),
        ("mina timmar", Command("my hours")),
        ("kirjaa 30 tiimikoulutus", Command("log", "30 tiimikoulutus")),
        ("tilastot kuukausi sote", Command("stats", "kuukausi sote")),
        ("stats", Command("stats")),
        ("mentorit", Command("mentors")),
        ("mentors", Command("mentors")),
        ("poissa", Command("away")),
        ("apua kalenterin kanssa", None),
        ("help me share my screen", None),
        ("miten jaan kalenterin", None),
        ("", None),
    ],
)
def test_commands_and_their_aliases(text, expected):
    assert parse_command(text) == expected


def test_every_command_has_finnish_and_swedish_aliases_and_a_role():
    for name, (role, aliases) in COMMANDS.items():
        assert name in aliases
        assert len(aliases) >= 3, name
        assert role in (None, "mentor", "coordinator")


def test_bot_mentions_are_stripped_and_other_mentions_keep_the_name():
    text = "<at>Digimentor</at> miten lisään <at>Pekka Korhonen</at> kokoukseen?&nbsp;"
    assert strip_bot_mentions(text, ["<at>Digimentor</at>"]) == "miten lisään Pekka Korhonen kokoukseen?"


@pytest.mark.parametrize(("locale", "language"), [("fi-FI", "fi"), ("sv_SE", "sv"), ("en-US", "en"),
                                                  ("de-DE", "fi"), (None, "fi"), ("", "fi")])
def test_language_of_locale(locale, language):
    assert language_of(locale) == language


def test_every_text_exists_in_every_language():
    finnish = catalogue_keys("fi")
    for language in LANGUAGES:
        assert catalogue_keys(language) == finnish, language


def test_texts_fill_in_parameters():
    assert Texts("en")("error.apology", reference="ABC123").endswith("the reference ABC123.")


def test_defaults_are_local_anonymous_sqlite():
    settings = load_settings({})
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.database_url == "sqlite+aiosqlite:///./data/digimentor.db"
    assert not settings.auth_enabled


def test_configuration_errors_name_every_bad_variable():
    with pytest.raises(ConfigError) as caught:
        load_settings({"PORT": "99999", "MicrosoftAppId": "abc", "MicrosoftAppType": "SingleTenant",
                       "LOG_LEVEL": "loud", "DATABASE_URL": "mysql://x"})
    message = str(caught.value)
    for variable in ("PORT", "DATABASE_URL", "MicrosoftAppPassword", "MicrosoftAppTenantId", "LOG_LEVEL"):
        assert f"{variable}:" in message


def test_a_managed_identity_is_refused_rather_than_failing_later():
    with pytest.raises(ConfigError, match="MicrosoftAppType: expected one of MultiTenant, SingleTenant"):
        load_settings({"MicrosoftAppId": "abc", "MicrosoftAppType": "UserAssignedMSI"})


def test_allowed_tenants_are_a_normalised_set():
    settings = load_settings({"ALLOWED_TENANTS": " AAA , bbb,,"})
    assert settings.allowed_tenants == frozenset({"aaa", "bbb"})
