"""Plain-Python rules: commands, mentions, configuration, the locale resources, the language
to answer in, reporting periods, small-group protection and the unit tree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ConfigError, load_settings
from bot.mentions import strip_bot_mentions
from cards.i18n import DEFAULT_LANGUAGE, LANGUAGES, Texts, catalogue_keys
from dialogs.commands import COMMANDS, Command, names_a_report, parse_command
from dialogs.rules.language import LanguageDetector, language_of, preferred_language
from dialogs.rules.people import Member
from dialogs.rules.periods import HELSINKI, PeriodError, looks_like_period, parse_period
from dialogs.rules.stats import SMALL_GROUP, changes, protect_small_groups
from dialogs.rules.units import ancestor, offer_tiers, subtree, topmost, unit_name
from storage.stats_repository import Figures, MentorMinutes
from tests.support.time import WEDNESDAY_MORNING

UNITS = {"sote", "ward-3"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Command("help")),
        ("OHJE", Command("help", language="fi")),
        ("apua!", Command("help", language="fi")),
        ("hjälp", Command("help", language="sv")),
        ("mentor miten jaan näytön?", Command("mentor", "miten jaan näytön?")),
        ("Mentori   tulostin ei toimi", Command("mentor", "tulostin ei toimi", "fi")),
        ("omat pyynnöt", Command("my requests", language="fi")),
        ("mina timmar", Command("my hours", language="sv")),
        ("kirjaa 30 tiimikoulutus", Command("log", "30 tiimikoulutus", "fi")),
        ("log 45 min pivot tables", Command("log", "45 min pivot tables")),
        ("tilastot kuukausi sote", Command("stats", "kuukausi sote", "fi")),
        ("stats 2026-10", Command("stats", "2026-10")),
        ("export ward-3", Command("export", "ward-3")),
        ("stats", Command("stats")),
        ("mentorit", Command("mentors", language="fi")),
        ("mentors", Command("mentors")),
        ("poissa", Command("away", language="fi")),
        ("poissa klo 14", Command("away", "klo 14", "fi")),
        ("borta till 14.30", Command("away", "till 14.30", "sv")),
        ("ukk teams-tausta", Command("faq", "teams-tausta", "fi")),
        # Questions that start with a command word.
        ("apua kalenterin kanssa", None),
        ("help me share my screen", None),
        ("log in to outlook fails, what do I do", None),
        ("kirjaa paljon", None),
        ("away status stuck in teams", None),
        ("poissa-tila jää päälle teamsissa", None),
        ("export calendar to excel", None),
        ("stats teams meeting", None),
        ("faq how do I share my calendar", None),
        ("miten jaan kalenterin", None),
        ("", None),
    ],
)
def test_a_message_is_a_command_only_when_it_parses_as_one(text, expected):
    assert parse_command(text, UNITS) == expected


def test_a_report_names_a_unit_only_when_the_unit_exists():
    assert parse_command("tilastot sote") is None  # without the unit list, "sote" is just a word
    assert parse_command("tilastot sote", UNITS) == Command("stats", "sote", "fi")
    assert names_a_report("tilastot sote") and not names_a_report("tilastot") and not names_a_report("log 30 x")


def test_every_command_has_finnish_and_swedish_aliases_and_a_role():
    # `log agreement` is parsed from `log`; "help with" is typed as "I can help with <topics>".
    typed_as = {"help with": "i can help with"}
    for name, (_, aliases) in COMMANDS.items():
        if name == "log agreement":
            continue
        assert typed_as.get(name, name) in aliases
        assert len(aliases) >= 3, name
        # One role, or any one of several (an open helper does a mentor's work on their requests).
        assert set(Command(name).required_roles) <= {"mentor", "helper", "coordinator", "supervisor"}, name


def test_bot_mentions_are_stripped_and_other_mentions_keep_the_name():
    text = "<at>Digimentor</at> miten lisään <at>Pekka Korhonen</at> kokoukseen?&nbsp;"
    assert strip_bot_mentions(text, ["<at>Digimentor</at>"]) == "miten lisään Pekka Korhonen kokoukseen?"


@pytest.mark.parametrize(("locale", "language"), [("fi-FI", "fi"), ("sv_SE", "sv"), ("en-US", "en"), ("SV-fi", "sv"),
                                                  ("sv", "sv"), ("de-DE", "fi"), (None, "fi"), ("", "fi")])
def test_language_of_locale(locale, language):
    assert language_of(locale) == language


def test_language_of_an_unknown_locale_takes_the_fallback_given():
    assert language_of("de-DE", fallback="sv") == "sv"
    assert language_of(None, fallback="") == ""
    assert language_of("en-GB", fallback="sv") == "en"


@pytest.mark.parametrize(
    ("locale_language", "directory_languages", "chosen"),
    [
        ("sv", ("fi", "sv"), "sv"),  # the Teams locale, when the person speaks it
        ("en", ("fi",), "fi"),  # an English Teams client does not make a Finnish speaker English
        ("en", ("sv", "fi"), "sv"),  # the directory's first language
        ("en", (), "en"),  # nobody says otherwise: the locale
        (None, ("sv",), "sv"),  # outside a turn: the directory
        ("", ("sv", "fi"), "sv"),
        (None, (), DEFAULT_LANGUAGE),
        ("", (), DEFAULT_LANGUAGE),
    ],
)
def test_preferred_language(locale_language, directory_languages, chosen):
    assert preferred_language(locale_language, directory_languages) == chosen
    member = Member("00000000-0000-0000-0000-0000000000a1", "Maija", 1, "ward-3", directory_languages)
    assert member.preferred_language(locale_language) == chosen


def test_a_stranger_is_answered_in_their_teams_language_or_finnish():
    stranger = Member.stranger("00000000-0000-0000-0000-0000000000ff", "Vieras")
    assert stranger.preferred_language("sv") == "sv"
    assert stranger.preferred_language(None) == DEFAULT_LANGUAGE


@pytest.mark.parametrize(
    ("text", "fallback", "detected"),
    [
        ("Hur delar jag min skärm i Teams?", "fi", "sv"),
        ("Miten jaan kalenterini työkaverille Outlookissa?", "sv", "fi"),
        ("How do I share my screen in a meeting?", "fi", "en"),
        # One word carries too little signal, however clear it looks: the person's language.
        ("teams", "sv", "sv"),
        ("hjälp", "fi", "fi"),
        ("", "en", "en"),
        # Mixed words: no language is confident enough.
        ("hej moi hello", "fi", "fi"),
        ("hej moi hello", "en", "en"),
    ],
)
def test_the_question_language_is_detected_with_a_fallback(text, fallback, detected):
    assert LanguageDetector().detect(text, fallback) == detected


def test_every_text_exists_in_every_language():
    finnish = catalogue_keys("fi")
    for language in LANGUAGES:
        assert catalogue_keys(language) == finnish, language


def test_the_languages_are_finnish_first_then_swedish_and_english():
    assert LANGUAGES == ("fi", "sv", "en")
    assert Texts("de").language == DEFAULT_LANGUAGE == "fi"


def test_texts_fill_in_parameters():
    template = Texts("en")("error.apology")  # without parameters: the text as the locale file has it
    assert "{reference}" in template
    filled = Texts("en")("error.apology", reference="ABC123")
    assert filled == template.replace("{reference}", "ABC123")
    assert filled != Texts("fi")("error.apology", reference="ABC123")


def test_a_missing_text_falls_back_to_its_key():
    assert Texts("sv")("no.such.key") == "no.such.key"


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


# -- reporting periods (Europe/Helsinki) ------------------------------------------------------


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def helsinki(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=HELSINKI)


@pytest.mark.parametrize("word", [None, "", "month", "kuukausi", "månad", "manad", "MONTH", "Kuukausi"])
def test_this_month_by_default_and_in_every_language(word):
    period = parse_period(word, WEDNESDAY_MORNING)
    assert period.kind == "month"
    assert (period.start, period.end) == (helsinki(2026, 11, 1), helsinki(2026, 12, 1))
    assert period.start == utc(2026, 10, 31, 22)  # midnight in Helsinki, not in UTC
    assert period.label == "2026-11"


@pytest.mark.parametrize("word", ["week", "viikko", "vecka", "VIIKKO"])
def test_this_week_runs_from_monday_to_monday(word):
    period = parse_period(word, WEDNESDAY_MORNING)
    assert period.kind == "week"
    assert (period.start, period.end) == (helsinki(2026, 11, 23), helsinki(2026, 11, 30))
    assert period.local_start.weekday() == 0 and period.local_start.tzinfo == HELSINKI
    assert period.label == "2026-W48"
    assert period.weeks == 1


@pytest.mark.parametrize("word", ["quarter", "vuosineljännes", "neljännes", "kvartal"])
def test_this_quarter(word):
    period = parse_period(word, WEDNESDAY_MORNING)
    assert period.kind == "quarter"
    assert (period.start, period.end) == (helsinki(2026, 10, 1), helsinki(2027, 1, 1))
    assert period.label == "2026-Q4"


def test_a_named_month():
    period = parse_period("2026-02", WEDNESDAY_MORNING)
    assert (period.kind, period.label) == ("month", "2026-02")
    assert (period.start, period.end) == (helsinki(2026, 2, 1), helsinki(2026, 3, 1))
    assert parse_period("2025-12", WEDNESDAY_MORNING).end == helsinki(2026, 1, 1)


@pytest.mark.parametrize("word", ["2026-13", "2026-00", "2026-1", "26-11", "yesterday", "viikkoa"])
def test_unknown_periods_are_refused(word):
    with pytest.raises(PeriodError):
        parse_period(word, WEDNESDAY_MORNING)


def test_what_looks_like_a_period():
    assert all(looks_like_period(w) for w in ("viikko", "Kvartal", "2026-10"))
    assert not any(looks_like_period(w) for w in ("sote", "ward-3", "2026"))


def test_the_local_new_year_decides_the_period_at_the_year_boundary():
    new_year = utc(2026, 12, 31, 22, 30)  # 00:30 on 1 January 2027 in Helsinki
    assert parse_period("month", new_year).label == "2027-01"
    assert parse_period("quarter", new_year).label == "2027-Q1"
    week = parse_period("week", new_year)  # Friday 1 Jan 2027 belongs to ISO week 53 of 2026
    assert (week.start, week.end) == (helsinki(2026, 12, 28), helsinki(2027, 1, 4))
    assert week.label == "2026-W53"
    assert parse_period("month", new_year - timedelta(hours=1)).label == "2026-12"


def test_the_previous_period_crosses_year_boundaries():
    january = parse_period("2027-01", WEDNESDAY_MORNING)
    assert january.previous().label == "2026-12"
    assert january.previous().end == january.start
    first_quarter = parse_period("quarter", utc(2027, 2, 10, 8))
    assert first_quarter.previous().label == "2026-Q4"
    assert first_quarter.previous().end == first_quarter.start
    first_week = parse_period("week", utc(2027, 1, 6, 8))
    assert first_week.label == "2027-W01"
    assert first_week.previous().label == "2026-W53"
    assert first_week.previous().previous().label == "2026-W52"
    assert first_week.previous().end == first_week.start


def test_the_previous_month_and_week_are_whole_periods():
    november = parse_period("month", WEDNESDAY_MORNING)
    assert november.previous() == parse_period("2026-10", WEDNESDAY_MORNING)
    march = parse_period("2026-03", WEDNESDAY_MORNING)
    assert march.previous().start == helsinki(2026, 2, 1)  # February is shorter: no day carried over
    week = parse_period("week", WEDNESDAY_MORNING)
    assert week.previous() == parse_period("week", WEDNESDAY_MORNING - timedelta(days=7))


def elapsed(period) -> timedelta:
    return period.end.astimezone(UTC) - period.start.astimezone(UTC)


def test_weeks_that_change_to_summer_time_and_back_are_still_monday_to_monday():
    spring = parse_period("week", utc(2026, 3, 27, 10))  # clocks go forward on Sunday 29 March
    assert (spring.start, spring.end) == (utc(2026, 3, 22, 22), utc(2026, 3, 29, 21))
    assert elapsed(spring) == timedelta(hours=167)
    assert spring.label == "2026-W13"
    autumn = parse_period("week", utc(2026, 10, 22, 10))  # clocks go back on Sunday 25 October
    assert (autumn.start, autumn.end) == (utc(2026, 10, 18, 21), utc(2026, 10, 25, 22))
    assert elapsed(autumn) == timedelta(hours=169)
    # Still one calendar week each: a mentor's weekly allowance is not cut or stretched by an hour.
    assert spring.weeks == autumn.weeks == 1
    assert autumn.previous().end == autumn.start and elapsed(autumn.previous()) == timedelta(hours=168)
    assert parse_period("week", utc(2026, 3, 29, 21, 30)).local_start == helsinki(2026, 3, 30)
    march = parse_period("2026-03", WEDNESDAY_MORNING)
    assert (march.start, march.end) == (utc(2026, 2, 28, 22), utc(2026, 3, 31, 21))


# -- small-group protection -------------------------------------------------------------------

RATED = Figures(questions=20, accepted=6, resolved=5, satisfaction_count=4, satisfaction_mean=4.5,
                satisfaction_distribution={5: 2, 4: 2})


def test_satisfaction_from_fewer_than_five_is_hidden_below_the_whole_organisation():
    assert SMALL_GROUP == 5
    shown = protect_small_groups(RATED, whole_organisation=False)
    assert shown.satisfaction_hidden
    assert shown.satisfaction_mean is None and shown.satisfaction_distribution == {}
    # Everything else a coordinator sees stays.
    assert (shown.questions, shown.accepted, shown.resolved, shown.satisfaction_count) == (20, 6, 5, 4)


def test_five_answers_are_shown():
    five = Figures(satisfaction_count=5, satisfaction_mean=3.8, satisfaction_distribution={5: 2, 4: 1, 3: 1, 1: 1})
    assert protect_small_groups(five, whole_organisation=False) == five


def test_the_whole_organisation_is_never_hidden():
    one = Figures(satisfaction_count=1, satisfaction_mean=2.0, satisfaction_distribution={2: 1})
    assert protect_small_groups(one, whole_organisation=True) == one
    assert protect_small_groups(RATED, whole_organisation=True) == RATED


def test_no_answers_is_not_called_hidden():
    nothing = Figures(questions=3)
    shown = protect_small_groups(nothing, whole_organisation=False)
    assert shown == nothing and not shown.satisfaction_hidden


def test_changes_from_the_previous_period():
    current = Figures(questions=12, accepted=4, accept_p50_minutes=3.25, satisfaction_mean=4.0,
                      mentor_minutes=(MentorMinutes("Pekka", "ward-3", 90, 120),))
    previous = Figures(questions=10, accepted=5, accept_p50_minutes=5.0, satisfaction_mean=None,
                       mentor_minutes=(MentorMinutes("Pekka", "ward-3", 30, 120),))
    delta = changes(current, previous)
    assert (delta["questions"], delta["accepted"]) == (2, -1)
    assert delta["accept_p50_minutes"] == -1.8
    assert delta["satisfaction_mean"] is None  # no value before: no change to show
    assert delta["total_mentor_minutes"] == 60


# -- the unit tree ----------------------------------------------------------------------------

PARENTS = {"hva": None, "sote": "hva", "ward-3": "sote", "ward-5": "sote", "hr": "hva", "kotihoito": "sote",
           "kotihoito-pohjoinen": "kotihoito"}


def test_subtree_is_the_units_under_and_including_the_roots():
    assert subtree({"sote"}, PARENTS) == {"sote", "ward-3", "ward-5", "kotihoito", "kotihoito-pohjoinen"}
    assert subtree({"ward-3"}, PARENTS) == {"ward-3"}
    assert subtree({"ward-3", "hr"}, PARENTS) == {"ward-3", "hr"}
    assert subtree({"hva"}, PARENTS) == set(PARENTS)
    assert subtree(set(), PARENTS) == set()
    assert subtree({"gone"}, PARENTS) == {"gone"}  # a unit no longer in the tree is still itself


def test_topmost_names_a_scope_by_its_top_units():
    assert topmost(subtree({"sote"}, PARENTS), PARENTS) == {"sote"}
    assert topmost(subtree({"kotihoito", "hr"}, PARENTS), PARENTS) == {"kotihoito", "hr"}
    assert topmost(set(PARENTS), PARENTS) == {"hva"}
    assert topmost(set(), PARENTS) == set()


def test_ancestor_climbs_and_stops_at_the_root():
    assert ancestor("kotihoito-pohjoinen", PARENTS, 0) == "kotihoito-pohjoinen"
    assert ancestor("kotihoito-pohjoinen", PARENTS, 1) == "kotihoito"
    assert ancestor("kotihoito-pohjoinen", PARENTS, 2) == "sote"
    assert ancestor("kotihoito-pohjoinen", PARENTS, 3) == "hva"
    assert ancestor("kotihoito-pohjoinen", PARENTS, 9) == "hva"
    assert ancestor("gone", PARENTS, 2) == "gone"


def test_offer_tiers_widen_through_every_ancestor_below_the_root():
    assert offer_tiers("kotihoito-pohjoinen", PARENTS) == [
        frozenset({"kotihoito-pohjoinen"}),
        frozenset({"kotihoito", "kotihoito-pohjoinen"}),
        frozenset(subtree({"sote"}, PARENTS)),
        None,
    ]
    assert offer_tiers("hva", PARENTS) == [frozenset({"hva"}), None]
    assert offer_tiers("gone", PARENTS) == [None]
    assert offer_tiers(None, PARENTS) == [None]
    # The name the asker hears for tier n is the unit n steps up.
    assert offer_tiers("ward-3", PARENTS)[1] == frozenset(subtree({ancestor("ward-3", PARENTS, 1)}, PARENTS))


def test_unit_names_in_the_language_else_finnish_else_any_else_the_id():
    names = {"sote": {"fi": "Sote", "sv": "Social- och hälsovård"}, "hr": {"fi": "Henkilöstö"},
             "ward-3": {"en": "Ward 3"}, "empty": {}}
    assert unit_name(names, "sote", "sv") == "Social- och hälsovård"
    assert unit_name(names, "sote", "en") == "Sote"
    assert unit_name(names, "hr", "sv") == "Henkilöstö"
    assert unit_name(names, "ward-3", "sv") == "Ward 3"
    assert unit_name(names, "empty", "fi") == "empty"
    assert unit_name(names, "unknown", "fi") == "unknown"
    assert unit_name(names, None, "fi") is None
