"""A small, valid organisation file (the docs/design.md example), shared by the tests of the
file format, the admin commands and storage. Its line numbers are part of tests' expectations."""

from __future__ import annotations

import textwrap

VALID = textwrap.dedent(
    """\
    organization:
      name: Esimerkin hyvinvointialue
      default_language: fi
      mentor_weekly_minutes: 120
      offer_timeout_minutes: 0.05
      working_hours: "08:00-16:00"
    units:
      - id: sote
        name: {fi: Sosiaali- ja terveyspalvelut, sv: Social- och hälsovårdstjänster}
      - id: ward-3
        parent: sote
        name: {fi: Osasto 3, en: Ward 3}
    people:
      - aad_object_id: 00000000-0000-0000-0000-0000000000A1
        name: Maija Virtanen
        email: maija.virtanen@example.fi
        unit: ward-3
        roles: [employee]
      - aad_object_id: 00000000-0000-0000-0000-0000000000b1
        name: Pekka Korhonen
        unit: ward-3
        languages: [fi, sv]
        roles: [employee, mentor]
        mentor: {topics: [teams, outlook], weekly_minutes: 90}
      - aad_object_id: 00000000-0000-0000-0000-0000000000c1
        name: Kaisa Coordinator
        unit: sote
        roles: [employee, coordinator]
        coordinator_of: [sote]
    """
)
