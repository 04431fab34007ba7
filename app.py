"""Digimentor: serve the bot, or run an admin command.

    python app.py [serve] [--workers N]
                                     serve POST /api/messages and GET /healthz on HOST:PORT
                                     (N processes: default one per core on PostgreSQL, 1 on SQLite)
    python app.py migrate            bring the database schema up to date
    python app.py import-org FILE    import the organisation file (validated as a whole)
    python app.py import-faq FILE    import FAQ entries (validated as a whole)
    python app.py export-faq FILE    write the published FAQ in the same format ("-" = stdout)
    python app.py demo [--if-empty]  load the demo organisation and FAQ
    python app.py import-survey FILE      import a survey instrument (validated as a whole)
    python app.py export-survey FILE [--instrument ID] [--version N]
                                     write a survey instrument in the same format ("-" = stdout)
    python app.py import-survey-answers ROUND FILE   paper answers (CSV) into an open survey round
    python app.py package --app-id ID --out FILE.zip [--host HOST] [--graph-client-id ID]
                                     build the Teams app package to upload or sideload
    python app.py person export EMAIL          everything stored about a person, as JSON on stdout
    python app.py person erase EMAIL [--yes]   what erasing would remove; with --yes, erase it
    python app.py audit [--since YYYY-MM-DD] [--json]   the audit log, one line per entry
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from aiohttp import web

from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import configure_logging
from dialogs.clock import Clock
from dialogs.flows.privacy import Privacy, audit_document, audit_line, to_json
from dialogs.flows.survey_instruments import Instruments
from dialogs.flows.survey_paper import PaperAnswers
from dialogs.rules.faq_file import parse_faq_file, render_faq_file
from dialogs.rules.org_file import parse_organization_file
from dialogs.rules.yaml_files import FileInvalid
from storage.audit_repository import AuditRepository
from storage.db import Database, StorageUnavailable
from storage.directory_repository import DirectoryRepository
from storage.faq_repository import FaqRepository
from storage.migrate import migrate
from storage.organization_repository import import_organization
from storage.person_erasure import Erasure, PersonErasure
from storage.person_export import PersonExport
from storage.retention import Retention
from storage.survey_instruments import SurveyInstrumentRepository
from storage.survey_responses import SurveyResponseRepository
from storage.survey_rounds import SurveyRoundRepository

SEED_DIR = Path(__file__).parent / "storage" / "seed"
DEMO_ORGANIZATION = SEED_DIR / "demo_organization.yaml"
DEMO_FAQ = SEED_DIR / "faq.yaml"


def serve(settings: Settings, workers: int | None = None, reuse_port: bool = False) -> int:
    # Imported here so that the admin commands start without loading the bot stack.
    from bot.web import create_app
    from bot.workers import Supervisor, WorkersRefused, check_workers, default_workers

    workers = default_workers(settings.database_url) if workers is None else workers
    try:
        check_workers(settings.database_url, workers)
    except WorkersRefused as refusal:
        print(refusal, file=sys.stderr)
        return 2
    address = f"http://{settings.host}:{settings.port}/api/messages"
    if workers > 1:
        if settings.migrate_on_start:
            asyncio.run(_with_database(settings, _nothing))  # once, before the workers start
        print(f"Digimentor listening on {address} with {workers} worker processes", flush=True)
        return Supervisor(workers).run()
    app = create_app(settings)
    print(f"Digimentor listening on {address}", flush=True)
    web.run_app(app, host=settings.host, port=settings.port, print=None, shutdown_timeout=10, access_log=None,
                reuse_port=reuse_port or None)
    return 0


async def _nothing(database: Database) -> int:
    return 0


async def _with_database(settings: Settings, work: Callable[[Database], Awaitable[int]]) -> int:
    database = Database(settings.database_url, clock=Clock().now)
    try:
        await migrate(database)
        return await work(database)
    finally:
        await database.dispose()


def _read(path: str) -> str:
    return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")


async def _import_org(database: Database, path: str) -> int:
    plan = parse_organization_file(_read(path), Path(path).name)
    summary = await import_organization(database, plan)
    print(
        f"organisation imported: created {summary.created}, updated {summary.updated}, "
        f"deactivated {summary.deactivated}" if summary.changed else "organisation imported: nothing changed"
    )
    if summary.lost_mentor:
        # The running bot alerts their coordinators within a minute.
        print(f"units left without a digimentor: {', '.join(summary.lost_mentor)}")
    return 0


async def _import_faq(database: Database, path: str) -> int:
    entries = parse_faq_file(_read(path), Path(path).name)
    summary = await FaqRepository(database).import_entries(entries)
    print(f"FAQ imported: {summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged")
    return 0


async def _export_faq(database: Database, path: str) -> int:
    text = render_faq_file(await FaqRepository(database).published())
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")
        print(f"FAQ exported to {path}")
    return 0


async def _import_survey(database: Database, path: str) -> int:
    instrument, outcome = await Instruments(SurveyInstrumentRepository(database)).import_file(_read(path),
                                                                                           Path(path).name)
    print(f"survey instrument {instrument.id} version {instrument.version}: {outcome}")
    return 0


async def _export_survey(database: Database, path: str, instrument_id: str | None, version: int | None) -> int:
    text = await Instruments(SurveyInstrumentRepository(database)).export(instrument_id, version)
    if text is None:
        wanted = f"{instrument_id or 'the default instrument'}" + (f" version {version}" if version else "")
        print(f"export-survey: there is no survey instrument {wanted}; nothing was written", file=sys.stderr)
        return 2
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")
        print(f"survey instrument exported to {path}")
    return 0


async def _import_survey_answers(database: Database, round_id: int, path: str) -> int:
    paper = PaperAnswers(Instruments(SurveyInstrumentRepository(database)), SurveyRoundRepository(database),
                         SurveyResponseRepository(database), DirectoryRepository(database))
    created, replaced = await paper.import_file(round_id, _read(path), Path(path).name)
    print(f"paper answers entered into round {round_id}: {created} forms added, {replaced} replaced")
    return 0


async def _demo(database: Database, only_if_empty: bool) -> int:
    if only_if_empty and await DirectoryRepository(database).count_people() > 0:
        print("demo: the database already has people; nothing loaded")
        return 0
    await _import_org(database, str(DEMO_ORGANIZATION))
    await _import_faq(database, str(DEMO_FAQ))
    return 0


def _privacy(database: Database) -> Privacy:
    return Privacy(PersonExport(database), PersonErasure(database), Retention(database), AuditRepository(database),
                   Clock())


# What `person erase` reports, in the order it reports it.
ERASURE_COUNTS = {
    "question_texts": "question texts",
    "faq_variant_texts": "FAQ variant texts from their questions",
    "proposal_texts": "texts of FAQ proposals still waiting",
    "comments": "rating comments",
    "time_entry_notes": "time-entry notes",
    "session_texts": "topics and notes of team sessions they booked",
    "agreement_goals": "goals of agreements they are a side of",
    "agreement_topics": "topics of those agreements",
    "mentions": "texts by others naming them",
    "conversation_references": "conversation references",
    "survey_answers": "survey answers (the results of closed rounds stay)",
    "survey_responses": "survey invitations and answering states",
    "offer_cards": "offer-card locations",
    "audit_entries_by_them": "audit entries by them (actor pseudonymised)",
    "roles": "roles",
    "coordinator_scopes": "coordinator scopes",
    "helper_offer": "their offer of help (ended)",
}


def _unknown(command: str, email: str, erased_note: str = "") -> int:
    print(f"person {command}: nobody is stored with the e-mail {email!r}{erased_note}; nothing was changed",
          file=sys.stderr)
    return 2


async def _person_export(database: Database, email: str) -> int:
    document = await _privacy(database).export(email)
    if document is None:
        return _unknown("export", email)
    sys.stdout.buffer.write((to_json(document) + "\n").encode("utf-8"))
    sys.stdout.flush()
    return 0


def _erasure_counts(erasure: Erasure) -> str:
    return "\n".join(f"  {erasure.counts.get(key, 0):>6}  {label}" for key, label in ERASURE_COUNTS.items())


async def _person_erase(database: Database, email: str, confirmed: bool) -> int:
    erasures = await _privacy(database).erase(email, apply=confirmed)
    if not erasures:
        return _unknown("erase", email, " (never known, or already erased)")
    for erasure in erasures:
        person = erasure.person
        if confirmed:
            print(f"person {person.id} erased:")
        else:
            roles = ", ".join(person.roles) or "none"
            print(f"person {person.id}: {person.name}, unit {person.unit_id or '-'}, roles {roles}"
                  f"{'' if person.active else ' (inactive)'}; erasing would remove:")
        print(_erasure_counts(erasure))
        if erasure.counts.get("open_requests"):
            print(f"  note: {erasure.counts['open_requests']} of their help requests are still open; they stay "
                  "open, but the person can no longer be reached about them")
    if not confirmed:
        print("nothing was changed: run again with --yes to erase")
    return 0


async def _audit(database: Database, since: date | None, as_json: bool) -> int:
    entries = await _privacy(database).audit(since)
    if as_json:
        text = audit_document(entries) + "\n"
    else:
        text = "".join(audit_line(entry) + "\n" for entry in entries)
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


def _day(value: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from None


async def _migrate(database: Database) -> int:
    print(f"database is up to date ({database.dialect})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="Digimentor Teams bot")
    commands = parser.add_subparsers(dest="command")
    serve_command = commands.add_parser("serve", help="serve the bot (the default)")
    serve_command.add_argument("--workers", type=int, help="serving processes on the port (default: one per "
                                                           "core on PostgreSQL, 1 on SQLite)")
    serve_command.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # a worker's own
    commands.add_parser("migrate", help="bring the database schema up to date")
    for name, helptext in (
        ("import-org", "import the organisation file"),
        ("import-faq", "import FAQ entries"),
        ("export-faq", "export the published FAQ"),
        ("import-survey", "import a survey instrument"),
    ):
        commands.add_parser(name, help=helptext).add_argument("file", help='a YAML file, or "-"')
    paper = commands.add_parser("import-survey-answers", help="enter paper answers (CSV) into an open survey round")
    paper.add_argument("round", type=int, help="the round's number")
    paper.add_argument("file", help='a CSV file (form, unit, group, one column per item), or "-"')
    export_survey = commands.add_parser("export-survey", help="export a survey instrument")
    export_survey.add_argument("file", help='a YAML file, or "-"')
    export_survey.add_argument("--instrument", help="the instrument id (default: the one a new round uses)")
    export_survey.add_argument("--version", type=int, help="the version (default: the newest)")
    demo = commands.add_parser("demo", help="load the demo organisation and FAQ")
    demo.add_argument("--if-empty", action="store_true", help="only when the directory has nobody yet")
    person = commands.add_parser("person", help="personal data on request: export or erase one person")
    person_commands = person.add_subparsers(dest="person_command", required=True)
    person_commands.add_parser("export", help="print everything stored about the person as JSON").add_argument(
        "email", help="the person's e-mail address")
    erase = person_commands.add_parser("erase", help="show what erasing the person removes; --yes erases it")
    erase.add_argument("email", help="the person's e-mail address")
    erase.add_argument("--yes", action="store_true", help="erase, rather than only show what would be erased")
    audit = commands.add_parser("audit", help="print the audit log")
    audit.add_argument("--since", type=_day, help="only entries from this day on (YYYY-MM-DD, Helsinki time)")
    audit.add_argument("--json", action="store_true", help="a JSON array instead of one line per entry")
    package = commands.add_parser("package", help="build the Teams app package (a zip to upload)")
    package.add_argument("--app-id", required=True, help="the bot's Microsoft App ID (a GUID)")
    package.add_argument("--out", required=True, help="the zip file to write")
    package.add_argument("--host", help="the bot's public host name, for validDomains")
    package.add_argument("--graph-client-id", help="the Entra ID app used for Microsoft Graph, if any (a GUID)")
    return parser


def _package(args: argparse.Namespace) -> int:
    """Needs no settings and no database."""
    from bot.teams_package import PackageError, build_package

    try:
        path = build_package(args.app_id, Path(args.out), host=args.host, graph_client_id=args.graph_client_id)
    except PackageError as error:
        print(f"package: refused, nothing was written: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"Teams app package written to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "package":
        return _package(args)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"Configuration error:\n{error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    if args.command in (None, "serve"):
        try:
            return serve(settings, getattr(args, "workers", None), getattr(args, "reuse_port", False))
        except StorageUnavailable:
            print("the database is unreachable: check DATABASE_URL and that the server is running", file=sys.stderr)
            return 3
    logging.getLogger().setLevel(logging.WARNING)
    jobs: dict[str, Callable[[Database], Awaitable[int]]] = {
        "migrate": _migrate,
        "import-org": lambda db: _import_org(db, args.file),
        "import-faq": lambda db: _import_faq(db, args.file),
        "export-faq": lambda db: _export_faq(db, args.file),
        "demo": lambda db: _demo(db, args.if_empty),
        "import-survey": lambda db: _import_survey(db, args.file),
        "export-survey": lambda db: _export_survey(db, args.file, args.instrument, args.version),
        "import-survey-answers": lambda db: _import_survey_answers(db, args.round, args.file),
        "person": lambda db: (_person_export(db, args.email) if args.person_command == "export"
                              else _person_erase(db, args.email, args.yes)),
        "audit": lambda db: _audit(db, args.since, args.json),
    }
    try:
        return asyncio.run(_with_database(settings, jobs[args.command]))
    except FileInvalid as error:
        print(f"{error.filename}: refused, nothing was written:\n{error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"cannot read or write {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    except StorageUnavailable:
        print("the database is unreachable: check DATABASE_URL and that the server is running", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
