"""The organisation file contract: every invalid file is refused whole, naming line and field."""

from __future__ import annotations

import pytest

from dialogs.rules.department_mapping import DepartmentRule, rules_from
from dialogs.rules.org_file import parse_organization_file
from dialogs.rules.topics import topic_problem
from dialogs.rules.yaml_files import FileInvalid
from storage.directory_repository import OrganizationSettings
from tests.support.organizations import VALID


def refusal(text: str) -> list[str]:
    with pytest.raises(FileInvalid) as caught:
        parse_organization_file(text, "org.yaml")
    return str(caught.value).splitlines()


def test_the_design_example_is_valid_and_defaults_are_filled_in():
    plan = parse_organization_file(VALID)
    assert plan.name == "Esimerkin hyvinvointialue"
    assert plan.default_language == "fi" and plan.mentor_weekly_minutes == 120
    assert plan.offer_timeout_minutes == 0.05
    assert (plan.working_hours_start, plan.working_hours_end) == ("08:00", "16:00")
    assert [(u.id, u.parent) for u in plan.units] == [("sote", None), ("ward-3", "sote")]
    assert plan.units[1].names == {"fi": "Osasto 3", "en": "Ward 3"}
    maija, pekka, kaisa = plan.people
    assert maija.aad_object_id == "00000000-0000-0000-0000-0000000000a1"  # normalised to lower case
    assert maija.languages == ("fi",)  # the organisation's default language
    assert maija.roles == ("employee",) and maija.mentor is None
    assert pekka.languages == ("fi", "sv")
    assert pekka.mentor.topics == ("teams", "outlook") and pekka.mentor.weekly_minutes == 90
    assert kaisa.coordinator_of == ("sote",)
    assert plan.department_rules == []


def test_defaults_fill_in_what_the_file_leaves_out():
    plan = parse_organization_file("organization: {name: Pieni}\nunits: []\npeople: []\n")
    defaults = OrganizationSettings()
    assert plan.default_language == defaults.default_language == "fi"
    assert plan.mentor_weekly_minutes == defaults.mentor_weekly_minutes
    assert plan.offer_timeout_minutes == defaults.offer_timeout.total_seconds() / 60
    assert (plan.working_hours_start, plan.working_hours_end) == (defaults.working_hours_start,
                                                                   defaults.working_hours_end)
    assert plan.units == [] and plan.people == [] and plan.department_rules == []


def test_unknown_unit_names_line_and_field():
    text = VALID.replace("unit: ward-3\n    roles: [employee]\n", "unit: ward-9\n    roles: [employee]\n")
    assert refusal(text) == ["org.yaml:17: people[0].unit: unknown unit 'ward-9'"]


def test_duplicate_unit_id():
    text = VALID.replace("  - id: ward-3\n", "  - id: sote\n")
    assert "org.yaml:10: units[1].id: duplicate unit id 'sote'" in refusal(text)


def test_duplicate_person():
    text = VALID.replace("0000000000b1", "0000000000a1")
    assert refusal(text) == [
        "org.yaml:19: people[1].aad_object_id: duplicate aad_object_id 00000000-0000-0000-0000-0000000000a1"
    ]


def test_missing_field_names_the_entry_line():
    text = VALID.replace("    name: Pekka Korhonen\n", "")
    assert refusal(text) == ["org.yaml:19: people[1].name: required field is missing"]


def test_cycle_in_the_unit_tree():
    text = VALID.replace("  - id: sote\n", "  - id: sote\n    parent: ward-3\n")
    assert refusal(text) == ["org.yaml:9: units[0].parent: the unit tree has a cycle: sote -> ward-3 -> sote"]


def test_bad_yaml_names_the_line():
    text = VALID.replace("  default_language: fi\n", "  default_language: [fi\n")
    [line] = refusal(text)
    assert line.startswith("org.yaml:4: not valid YAML:")


def test_wrong_value_types_and_unknown_keys_are_named():
    text = VALID.replace("mentor_weekly_minutes: 120", "mentor_weekly_minutes: lots").replace(
        "    email: maija.virtanen@example.fi\n", "    e-mail: maija.virtanen@example.fi\n"
    )
    lines = refusal(text)
    assert lines[0].startswith("org.yaml:4: organization.mentor_weekly_minutes: Input should be a valid integer")
    assert lines[1] == "org.yaml:16: people[0].e-mail: Extra inputs are not permitted"


def test_every_problem_is_listed_not_just_the_first():
    text = VALID.replace("unit: ward-3\n    roles: [employee]\n", "unit: ward-9\n    roles: [employee]\n").replace(
        "coordinator_of: [sote]", "coordinator_of: [nowhere]"
    )
    assert refusal(text) == [
        "org.yaml:17: people[0].unit: unknown unit 'ward-9'",
        "org.yaml:29: people[2].coordinator_of[0]: unknown unit 'nowhere'",
    ]


def test_repeated_keys_are_refused():
    text = VALID.replace("    name: Maija Virtanen\n", "    name: Maija Virtanen\n    name: Maija V.\n")
    assert refusal(text) == ['org.yaml:16: repeated key: found duplicate key "name"']


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('working_hours: "08:00-16:00"', 'working_hours: "16:00-08:00"', "organization.working_hours"),
        ("languages: [fi, sv]", "languages: [fi, de]", "people[1].languages[1]"),
        ("roles: [employee]", "roles: [boss]", "people[0].roles[0]"),
        ("mentor: {topics", "mentorr: {topics", "people[1].mentorr"),
        ("roles: [employee, mentor]", "roles: [employee]",
         "people[1].mentor: given, but roles does not include mentor"),
        ("    coordinator_of: [sote]\n", "", "people[2].roles: a coordinator needs coordinator_of"),
    ],
)
def test_other_invalid_values(old, new, message):
    assert old in VALID
    assert any(message in line for line in refusal(VALID.replace(old, new)))


def test_a_file_that_is_not_a_mapping_is_refused():
    assert refusal("- just\n- a list\n") == ["org.yaml:1: expected a mapping with organization, units and people"]


def test_graph_department_rules_are_checked():
    unknown = VALID + 'graph:\n  department_rules:\n    - {department: "Osasto 3", unit: ward-3}\n' \
        '    - {department_pattern: "^Kotihoito", unit: home-care}\n'
    assert refusal(unknown) == ["org.yaml:33: graph.department_rules[1].unit: unknown unit 'home-care'"]
    bad_pattern = VALID + 'graph:\n  department_rules:\n    - {department_pattern: "([", unit: sote}\n'
    [line] = refusal(bad_pattern)
    assert line.startswith("org.yaml:32: graph.department_rules[0]: Value error, department_pattern is not a valid")
    one_rule = 'graph:\n  department_rules:\n    - {department: "Osasto 3", unit: ward-3}\n'
    plan = parse_organization_file(VALID + one_rule)
    [rule] = rules_from(plan.department_rules)
    assert rule == DepartmentRule("ward-3", department="Osasto 3")


def test_mentor_topics_may_be_finnish_words_and_an_impossible_one_says_why():
    plan = parse_organization_file(VALID.replace("topics: [teams, outlook]", "topics: [teams, sähköposti, etätyö]"))
    assert [p.mentor.topics for p in plan.people if p.mentor] == [("teams", "sähköposti", "etätyö")]
    [problem] = refusal(VALID.replace("topics: [teams, outlook]", "topics: [teams, Etä Työ]"))
    assert "people[1].mentor.topics" in problem
    assert "lower case" in problem


@pytest.mark.parametrize(("topic", "why"), [
    ("potilastietojärjestelmä", None),
    ("etä-vastaanotto", None),
    ("Teams", "lower case"),
    ("etä vastaanotto", "dash instead of a space"),
    ("teams/outlook", "'/' is not"),
    ("-teams", "starts with a letter"),
    ("x" * 51, "at most 50"),
])
def test_what_can_be_a_topic_id(topic, why):
    problem = topic_problem(topic)
    assert (problem is None) if why is None else (why in problem)


def test_a_supervisor_is_a_role_of_the_file_and_needs_the_unit_they_lead():
    plan = parse_organization_file(VALID.replace("roles: [employee]\n", "roles: [employee, supervisor]\n", 1))
    assert plan.people[0].roles == ("employee", "supervisor")
    text = VALID.replace("    unit: ward-3\n    roles: [employee]\n", "    roles: [supervisor]\n")
    assert refusal(text) == ["org.yaml:17: people[0].roles: a supervisor needs a unit (the unit they lead)"]
HELPDESK = """\
  mentor_model: both
  coverage_goal: 80
  impact: {minutes_per_faq_answer: 4, minutes_per_helpdesk_contact: 20}
  helpdesk:
    name: {fi: IT-tuki, sv: IT-support, en: IT helpdesk}
    phone: "+358 9 123 4567"
    url: https://tuki.example.fi
    hours: "ma–pe 7.30–16.00"
"""


def with_network_settings(text: str = HELPDESK) -> str:
    return VALID.replace('  working_hours: "08:00-16:00"\n', '  working_hours: "08:00-16:00"\n' + text)


def test_the_mentor_model_the_helpdesk_the_coverage_goal_and_the_impact_assumptions_are_read():
    plan = parse_organization_file(with_network_settings())
    assert (plan.mentor_model, plan.coverage_goal) == ("both", 80)
    assert (plan.minutes_per_faq_answer, plan.minutes_per_helpdesk_contact) == (4, 20)
    assert plan.helpdesk == {"name": {"fi": "IT-tuki", "sv": "IT-support", "en": "IT helpdesk"},
                             "phone": "+358 9 123 4567", "url": "https://tuki.example.fi",
                             # One text serves every language.
                             "hours": {"fi": "ma–pe 7.30–16.00", "sv": "ma–pe 7.30–16.00", "en": "ma–pe 7.30–16.00"}}
    defaults = parse_organization_file(VALID)
    assert (defaults.mentor_model, defaults.helpdesk, defaults.coverage_goal) == ("named", None, 100)
    assert (defaults.minutes_per_faq_answer, defaults.minutes_per_helpdesk_contact) == (5, 15)


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("mentor_model: both", "mentor_model: anyone", "org.yaml:7: organization.mentor_model: Input should be"),
    ("coverage_goal: 80", "coverage_goal: 120", "org.yaml:8: organization.coverage_goal: Input should be less"),
    ('phone: "+358 9 123 4567"', "phone: soita meille", "org.yaml:12: organization.helpdesk.phone: Value error, "
                                                        "expected a phone number"),
    ("url: https://tuki", "url: http://tuki", "org.yaml:13: organization.helpdesk.url: Value error, expected an https"),
    ('    phone: "+358 9 123 4567"\n    url: https://tuki.example.fi\n', "",
     "org.yaml:10: organization.helpdesk: Value error, give a phone number or a url"),
    ("minutes_per_helpdesk_contact: 20", "minutes_per_helpdesk_contact: -1",
     "org.yaml:9: organization.impact.minutes_per_helpdesk_contact: Input should be greater"),
    ("name: {fi: IT-tuki, sv: IT-support, en: IT helpdesk}", "name: {fi: IT-tuki, de: IT-Hilfe}",
     "org.yaml:11: organization.helpdesk.name"),
])
def test_each_bad_network_setting_is_refused_with_its_line_and_field(old, new, problem):
    lines = refusal(with_network_settings(HELPDESK.replace(old, new)))
    assert any(line.startswith(problem) for line in lines), lines


def test_a_helpdesk_agent_is_a_role():
    plan = parse_organization_file(VALID.replace("roles: [employee]\n", "roles: [employee, helpdesk]\n", 1))
    assert plan.people[0].roles == ("employee", "helpdesk")
