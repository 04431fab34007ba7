"""The process contract: `python app.py` and its admin commands, run as real subprocesses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from cards.i18n import Texts
from dialogs.rules.faq_file import parse_faq_file
from storage.db import Database
from storage.directory_repository import DirectoryRepository
from storage.faq_repository import FaqRepository
from storage.models import ProcessedActivity
from storage.processes import ProcessRegistry
from tests.support.activities import installation
from tests.support.organizations import VALID
from tests.support.served import served, start_served

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, database_url: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", **env}
    return subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, env=environment, input=stdin,
        capture_output=True, text=True, timeout=120,
    )


async def _people(database_url: str) -> int:
    database = Database(database_url)
    try:
        return await DirectoryRepository(database).count_people()
    finally:
        await database.dispose()


async def _faq_entries(database_url: str) -> int:
    database = Database(database_url)
    try:
        return len(await FaqRepository(database).published())
    finally:
        await database.dispose()


async def test_import_org_refuses_a_broken_file_whole_and_writes_nothing(database_url, tmp_path):
    broken = tmp_path / "org.yaml"
    broken.write_text(VALID.replace("unit: ward-3\n    roles: [employee]\n", "unit: ward-9\n    roles: [employee]\n"))
    result = run_cli("import-org", str(broken), database_url=database_url)
    assert result.returncode == 2
    assert "org.yaml:17: people[0].unit: unknown unit 'ward-9'" in result.stderr
    assert "nothing was written" in result.stderr
    assert await _people(database_url) == 0


async def test_import_org_then_reimport_reports_no_change(database_url, tmp_path):
    good = tmp_path / "org.yaml"
    good.write_text(VALID)
    first = run_cli("import-org", str(good), database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "created {'units': 2, 'people': 3}" in first.stdout
    second = run_cli("import-org", str(good), database_url=database_url)
    assert second.stdout.strip() == "organisation imported: nothing changed"
    assert await _people(database_url) == 3


async def test_broken_faq_file_is_refused_with_line_and_field(database_url, tmp_path):
    broken = tmp_path / "faq.yaml"
    broken.write_text(textwrap.dedent(
        """\
        - id: ok-entry
          fi: {question: Miten tulostan?, answer: Valitse Tulosta.}
        - id: Bad Id
          fi: {question: Miten?, answer: x}
        - id: no-language
          topic: teams
        """
    ))
    result = run_cli("import-faq", str(broken), database_url=database_url)
    assert result.returncode == 2
    assert "faq.yaml:3: [1].id: String should match pattern" in result.stderr
    assert "faq.yaml:5: [2]: Value error, an entry needs at least one language (fi, sv or en)" in result.stderr
    assert await _faq_entries(database_url) == 0


async def test_demo_loads_once_and_export_faq_round_trips(database_url, tmp_path):
    first = run_cli("demo", "--if-empty", database_url=database_url)
    assert first.returncode == 0, first.stderr
    people = await _people(database_url)
    assert people >= 10
    again = run_cli("demo", "--if-empty", database_url=database_url)
    assert "nothing loaded" in again.stdout
    assert await _people(database_url) == people

    exported = run_cli("export-faq", "-", database_url=database_url)
    assert exported.returncode == 0
    entries = parse_faq_file(exported.stdout)
    shipped = parse_faq_file((ROOT / "storage/seed/faq.yaml").read_text())
    assert shipped and await _faq_entries(database_url) == len(shipped)
    assert sorted(entries, key=lambda e: e.id) == sorted(shipped, key=lambda e: e.id)


def test_bad_configuration_names_the_variable():
    result = run_cli("migrate", database_url="mysql://nope", PORT="eighty")
    assert result.returncode == 2
    assert "PORT: expected a port number" in result.stderr
    assert "DATABASE_URL: expected" in result.stderr


def test_unreachable_database_is_reported_plainly():
    result = run_cli("migrate", database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none")
    assert result.returncode == 3
    assert "the database is unreachable" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_serve_answers_health_and_messages_and_stops_cleanly(database_url, connector):
    async with served(database_url, log_level="INFO") as (port, process):
        async with aiohttp.ClientSession() as http, http.post(
                f"http://127.0.0.1:{port}/api/messages", json=installation(service_url=connector.url)) as response:
            assert response.status == 200
        [sent] = await connector.wait_for(1)
        assert sent.cards[0]["body"][0]["text"] == Texts("fi")("welcome.title")
    assert process.returncode == 0, process.stderr_text
    assert f"listening on http://127.0.0.1:{port}/api/messages" in process.stdout_text


async def test_finnish_topic_names_import_and_round_trip_while_impossible_ones_are_refused(database_url, tmp_path):
    faq = tmp_path / "faq.yaml"
    faq.write_text(textwrap.dedent("""\
        - id: potilastiedot-kirjautuminen
          topic: potilastietojärjestelmä
          fi: {question: Miten kirjaudun potilastietojärjestelmään?, answer: Avaa työpöydän kuvake.}
        - id: sahkoposti-allekirjoitus
          topic: sähköposti
          fi: {question: Miten lisään sähköpostiin allekirjoituksen?, answer: Avaa asetukset.}
        """), encoding="utf-8")
    assert run_cli("import-faq", str(faq), database_url=database_url).returncode == 0
    exported = run_cli("export-faq", "-", database_url=database_url)
    assert {entry.topic for entry in parse_faq_file(exported.stdout)} == {"potilastietojärjestelmä", "sähköposti"}

    faq.write_text(faq.read_text(encoding="utf-8").replace("topic: sähköposti", "topic: Sähkö Posti"),
                   encoding="utf-8")
    refused = run_cli("import-faq", str(faq), database_url=database_url)
    assert refused.returncode == 2
    assert "faq.yaml:5: [1].topic" in refused.stderr and "lower case" in refused.stderr


async def test_oversized_headers_get_400_and_one_log_line_without_a_traceback(database_url):
    """Each 20 KB token used to log an ERROR with a full traceback and the token's text."""
    token = "a" * 20_000
    async with served(database_url) as (port, process):
        for _ in range(3):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write((f"POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
                          f"Authorization: Bearer {token}\r\nContent-Length: 2\r\n\r\n{{}}").encode())
            await writer.drain()
            assert (await reader.readline()).split()[1] == b"400"
            writer.close()
    lines = [line for line in process.stderr_text.splitlines() if "malformed request refused" in line]
    assert len(lines) == 3
    assert "Traceback" not in process.stderr_text and "aaaaaaaaaa" not in process.stderr_text
    assert all('"level": "WARNING"' in line for line in lines)


def test_several_workers_on_sqlite_are_refused_with_the_reason(tmp_path):
    result = run_cli("serve", "--workers", "2", database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    assert result.returncode == 2
    assert "several processes need PostgreSQL" in result.stderr and "--workers 1" in result.stderr


@pytest.mark.timeout(120)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_serve_with_two_workers_answers_on_one_port_and_stops_them_all(database_url, connector):
    server = await start_served(database_url, workers=2)
    try:
        # A new connection for every request: the kernel spreads connections between the workers.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            sent = 0
            while await _claim_owners(database_url) < 2:
                assert sent < 400, "one of the workers never answered"
                user = f"00000000-0000-0000-0000-{sent + 1:012d}"
                async with http.post(f"{server.url}/api/messages",
                                     json=installation(service_url=connector.url, user=user)) as response:
                    assert response.status == 200
                sent += 1
        await connector.wait_for(sent)
        assert await _alive_processes(database_url) == 2
    finally:
        code = await server.stop()
        assert code == 0, server.stderr_text[-3000:]
    assert await _alive_processes(database_url) == 0  # both drained and marked stopped
    assert "with 2 worker processes" in server.stdout_text


async def _claim_owners(database_url: str) -> int:
    """How many processes have answered a delivery."""
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            return await session.scalar(select(func.count(func.distinct(ProcessedActivity.owner_process_id))))
    finally:
        await database.dispose()


async def _alive_processes(database_url: str) -> int:
    database = Database(database_url)
    try:
        return await ProcessRegistry(database).alive_count()
    finally:
        await database.dispose()
