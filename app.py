"""Digimentor: serve the bot, or run an admin command.

    python app.py [serve] [--workers N]
                                     serve POST /api/messages and GET /healthz on HOST:PORT
                                     (N processes: default one per core on PostgreSQL, 1 on SQLite)
    python app.py migrate            bring the database schema up to date
    python app.py import-org FILE    import the organisation file (validated as a whole)
    python app.py import-faq FILE    import FAQ entries (validated as a whole)
    python app.py export-faq FILE    write the published FAQ in the same format ("-" = stdout)
    python app.py demo [--if-empty]  load the demo organisation and FAQ
    python app.py package --app-id ID --out FILE.zip [--host HOST] [--graph-client-id ID]
                                     build the Teams app package to upload or sideload
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import configure_logging
from dialogs.clock import Clock
from dialogs.rules.faq_file import parse_faq_file, render_faq_file
from dialogs.rules.org_file import parse_organization_file
from dialogs.rules.yaml_files import FileInvalid
from storage.db import Database, StorageUnavailable
from storage.directory_repository import DirectoryRepository
from storage.faq_repository import FaqRepository
from storage.migrate import migrate
from storage.organization_repository import import_organization

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


async def _demo(database: Database, only_if_empty: bool) -> int:
    if only_if_empty and await DirectoryRepository(database).count_people() > 0:
        print("demo: the database already has people; nothing loaded")
        return 0
    await _import_org(database, str(DEMO_ORGANIZATION))
    await _import_faq(database, str(DEMO_FAQ))
    return 0


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
    ):
        commands.add_parser(name, help=helptext).add_argument("file", help='a YAML file, or "-"')
    demo = commands.add_parser("demo", help="load the demo organisation and FAQ")
    demo.add_argument("--if-empty", action="store_true", help="only when the directory has nobody yet")
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
