"""Shared fixtures: a fresh migrated database per test on SQLite and on a real PostgreSQL
server, a loopback Bot Connector, and the bot served over real HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import load_settings
from bot.web import create_app
from dialogs.clock import Clock
from dialogs.embedding import EmbeddingUnavailable, shared_embeddings
from dialogs.rules.faq_file import parse_faq_file
from dialogs.rules.semantic_index import semantic_documents
from storage.db import Database
from storage.migrate import migrate
from tests.support.connector import LoopbackConnector
from tests.support.time import WEDNESDAY_MORNING

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("DIGIMENTOR_REQUIRE_POSTGRES") == "1"
_TEMPLATE = "digimentor_template"
_template_ready = False


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    if database is not None:
        dsn = dsn.rsplit("/", 1)[0] + f"/{database}"
    return dsn


async def _fresh_postgres_database() -> str:
    global _template_ready
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        if not _template_ready:
            await admin.execute(f"DROP DATABASE IF EXISTS {_TEMPLATE}")
            await admin.execute(f"CREATE DATABASE {_TEMPLATE}")
            template_url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{_TEMPLATE}"
            database = Database(template_url)
            await migrate(database)
            await database.dispose()
            _template_ready = True
        name = f"t_{uuid.uuid4().hex[:12]}"
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
    finally:
        await admin.close()
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def _backends() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    marks = []
    if not POSTGRES_URL:
        marks.append(pytest.mark.skip(reason="TEST_POSTGRES_URL not set (make test starts a cluster)"))
    params.append(pytest.param("postgresql", id="postgresql", marks=marks))
    return params


def pytest_collection_modifyitems(config, items):
    if REQUIRE_POSTGRES and not POSTGRES_URL:
        raise pytest.UsageError("DIGIMENTOR_REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is empty")


@pytest.fixture(scope="session", autouse=True)
def seed_faq_embedded() -> None:
    """The shipped FAQ's vectors made once for the whole run, as a replica finds them in the
    database: every bot started in this process then matches with embeddings from its first
    question, instead of on n-grams alone while it embeds the FAQ in the background."""
    import asyncio

    from storage.embedding_repository import text_hash

    seed = Path(__file__).resolve().parents[1] / "storage" / "seed" / "faq.yaml"
    documents, _ = semantic_documents(parse_faq_file(seed.read_text(encoding="utf-8")))
    embeddings = shared_embeddings()
    try:
        vectors = asyncio.run(embeddings.documents(documents))
    except EmbeddingUnavailable:
        return  # the tests that need embeddings say so themselves
    embeddings.known.update(zip((text_hash(d) for d in documents), vectors, strict=True))


@pytest.fixture(params=_backends())
async def database_url(request, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'digimentor.db'}"
        database = Database(url)
        await migrate(database)
        await database.dispose()
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL not set (make test starts a cluster)")
    url = await _fresh_postgres_database()
    yield url
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
def clock() -> Clock:
    """The test's one source of time, frozen on a working Wednesday morning in Helsinki."""
    return Clock(frozen_at=WEDNESDAY_MORNING)


@pytest.fixture
async def database(database_url: str, clock: Clock) -> AsyncIterator[Database]:
    db = Database(database_url, clock=clock.now)
    yield db
    await db.dispose()


@pytest.fixture
async def connector() -> AsyncIterator[LoopbackConnector]:
    fake = await LoopbackConnector().start()
    yield fake
    await fake.close()


def settings_for(database_url: str, **environ: str):
    return load_settings({"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", **environ})


class BotClient:
    """The bot served on a loopback port, talked to over real HTTP."""

    def __init__(self, client: TestClient) -> None:
        self.http = client

    async def post(self, activity: dict, *, token: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post("/api/messages", json=activity, headers=headers)


async def start_bot(settings, clock: Clock | None = None, graph=None, embeddings=None) -> TestClient:
    client = TestClient(TestServer(create_app(settings, clock, graph, embeddings), host="127.0.0.1"))
    try:
        await client.start_server()
    except BaseException:
        await client.close()
        raise
    return client


@pytest.fixture
async def bot(database_url: str, clock: Clock) -> AsyncIterator[BotClient]:
    client = await start_bot(settings_for(database_url), clock)
    yield BotClient(client)
    await client.close()
