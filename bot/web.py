"""The aiohttp application: POST /api/messages and GET /healthz.

Every way a request can be wrong gets its own status: 400 malformed, 401 bad token, 403 foreign
tenant, 413 too large, 415 not JSON, 503 database or key service down (retry later), and 500
with a reference id only for the unexpected.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
from datetime import time, timedelta

import aiohttp
from aiohttp import web
from botbuilder.schema import Activity

from bot.adapter import BotEndpoint, TenantRefused
from bot.auth import SigningKeysUnavailable, Unauthorized
from bot.background import Background
from bot.config import Settings
from bot.graph import GraphGateway
from bot.handler import DigimentorBot
from bot.inbound_json import UnreadableBody, read_document
from bot.logging_setup import new_reference
from bot.messenger import TeamsMessenger
from bot.msrest_speedups import apply_msrest_speedups
from bot.teams_budget import TeamsBudget
from bot.teams_context import read_incoming
from bot.turn_errors import TurnFailed, on_turn_error
from cards.i18n import Texts
from dialogs.clock import Clock
from dialogs.embedding import Embeddings
from dialogs.router import Router
from dialogs.rules.language import language_of
from dialogs.wiring import FlowOptions, Flows
from storage.conversation_repository import ConversationRepository
from storage.db import Database, StorageUnavailable
from storage.migrate import migrate
from storage.processes import HEARTBEAT_SECONDS

log = logging.getLogger("digimentor.web")
MAX_SENDER_ID = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_IN_IDS = re.compile(r"[\x00-\x20\x7f{}/?#\\%\"<>]")
RETENTION_INTERVAL = 24 * 3600.0
# How long background rounds (escalation, outbox sends) may take to finish at shutdown.
SHUTDOWN_GRACE_SECONDS = 5.0

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
FLOWS = web.AppKey("flows", Flows)
ENDPOINT = web.AppKey("endpoint", BotEndpoint)
BOT = web.AppKey("bot", DigimentorBot)
HTTP = web.AppKey("http", aiohttp.ClientSession)
GRAPH = web.AppKey("graph", GraphGateway)
EMBEDDINGS = web.AppKey("embeddings", Embeddings)


def create_app(settings: Settings, clock: Clock | None = None, graph: GraphGateway | None = None,
               embeddings: Embeddings | None = None) -> web.Application:
    """`clock`: the one source of time for every flow and repository (tests freeze one).
    `graph`: a ready Microsoft Graph gateway; by default one is made from the settings.
    `embeddings`: the sentence-embedding model; by default the process's shared one."""
    apply_msrest_speedups()
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    if graph is not None:
        app[GRAPH] = graph
    if embeddings is not None:
        app[EMBEDDINGS] = embeddings
    app[CLOCK] = clock or Clock(starting_at=settings.clock_start)
    app[DATABASE] = Database(settings.database_url, clock=app[CLOCK].now)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/exports/{token}/{filename}", export_file)
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application):
    settings, database = app[SETTINGS], app[DATABASE]
    if settings.migrate_on_start:
        await migrate(database)
    app[HTTP] = aiohttp.ClientSession()
    graph = app.get(GRAPH)
    try:
        app[ENDPOINT] = BotEndpoint(settings, app[HTTP], on_turn_error)
        messenger = TeamsMessenger(app[ENDPOINT], ConversationRepository(database))
        if graph is None and settings.graph_enabled:
            graph = app[GRAPH] = GraphGateway.from_client_secret(
                settings.graph_tenant_id, settings.graph_client_id, settings.graph_client_secret,
                base_url=settings.graph_base_url)
        flows = app[FLOWS] = Flows.build(database, app[CLOCK], messenger, _flow_options(settings), graph,
                                         app.get(EMBEDDINGS))
        app[BOT] = DigimentorBot(flows, Router(flows))
        await flows.processes.register()
        await _take_budget_share(flows, app[ENDPOINT].budget)
    except BaseException:
        # Stopped (or failed) while starting: nothing of this process is left for others to wait on.
        if FLOWS in app:
            with contextlib.suppress(Exception):
                await app[FLOWS].processes.stop()
        await app[HTTP].close()
        await database.dispose()
        raise
    background = Background()
    processes = flows.processes
    background.every(HEARTBEAT_SECONDS, _heartbeat(flows, app[ENDPOINT].budget), "heartbeat")
    background.every(settings.escalation_poll_seconds, flows.offers.escalate_due, "escalation")
    background.every(3600, _forget_old_rows(flows), "cleanup")
    background.every(60, flows.digest.send_due, "weekly digest")
    # Survey rounds close at their date and send their reminders; at once too, after a pause.
    background.every(60, flows.survey_rounds.sweep, "survey rounds", at_once=True)
    # A unit's coordinators hear within a minute that it lost its last mentor, also after an
    # import-org run from the command line.
    background.every(60, flows.coverage.sweep, "coverage sweep", at_once=True)
    # Announcements whose start date has come go to everyone in their units (at once after a
    # restart, too: a fan-out is one transaction, and the outbox resumes its sends).
    background.every(30, flows.announcements.release_due, "announcement release", at_once=True)
    # Team sessions: the reminders one working day before, and the Teams meetings (with Graph).
    background.every(15, flows.session_rounds.run, "team sessions", at_once=True)
    # Agreements: reminders of planned meetings not logged, and closing at the end date; each
    # claimed by a conditional update, so several processes send them once.
    background.every(60, flows.agreements.sweep, "agreement sweep", at_once=True)
    # At once as well: a request a crashed process left without a timer gets one at this start.
    background.every(300, flows.offers.sweep_stranded, "stranded-request sweep", at_once=True)
    background.run(flows.deliveries.run, "outbox")
    # Daily, and at once at start, so that frequent redeploys cannot keep postponing it.
    background.every(RETENTION_INTERVAL, flows.privacy.apply_retention, "retention", at_once=True)
    # The FAQ index (and, on a first start, its embeddings) is made now, not at the first question.
    background.run(lambda stopping: _warm_up(flows), "faq warm-up")
    # Start-up objects live as long as the process: keep them out of every later collection,
    # whose full passes otherwise pause all turns.
    gc.collect()
    gc.freeze()
    log.info("digimentor started", extra={"auth": settings.auth_enabled, "db": database.dialect,
                                          "process_id": processes.registered_id})
    yield
    # aiohttp has stopped listening and drained the turns in flight (or cancelled them, which
    # gives their claims back). Background rounds finish; the heartbeat goes on until they have.
    # The outbox worker lets the sends in flight finish and gives the rest back unsent.
    await background.stop(SHUTDOWN_GRACE_SECONDS, last=("heartbeat",))
    await flows.faq.close()
    with contextlib.suppress(StorageUnavailable):
        await processes.stop()
    log.info("digimentor stopped", extra={"process_id": processes.registered_id})
    if graph is not None:
        await graph.close()
    await app[ENDPOINT].close()
    await app[HTTP].close()
    await database.dispose()


def _flow_options(settings: Settings) -> FlowOptions:
    return FlowOptions(
        offer_group_size=settings.offer_group_size,
        public_base_url=settings.public_base_url,
        export_signing_key=settings.export_signing_key,
        digest_weekday=settings.digest_weekday,
        digest_time=time.fromisoformat(settings.digest_time),
        teams_app_id=settings.teams_app_id,
        manifest_id=settings.app_id,
        group_chats=settings.graph_group_chats,
        semantic_matching=settings.semantic_matching,
        retention_days=settings.retention_days,
        survey_retention_days=settings.survey_retention_days,
    )


async def _warm_up(flows: Flows) -> None:
    try:
        await flows.faq.index()
    except StorageUnavailable:
        log.warning("faq index not built at start: database unavailable")


def _forget_old_rows(flows: Flows):
    async def forget() -> None:
        # Teams re-delivers within minutes; two days of claims is ample.
        await flows.claims.forget_older_than(timedelta(days=2))
        await flows.processes.forget_older_than(timedelta(days=1))
        await flows.deliveries.forget_delivered()

    return forget


def _heartbeat(flows: Flows, budget: TeamsBudget):
    async def beat() -> None:
        budget.share(await flows.processes.beat())
        await flows.claims.write_back()

    return beat


async def _take_budget_share(flows: Flows, budget: TeamsBudget) -> None:
    """A process joining live ones serves only once they have seen it and lowered their shares
    of the Teams budget (bot/teams_budget.py)."""
    processes = await flows.processes.alive_count()
    if processes > 1:
        budget.share(processes)
        await asyncio.sleep(1.5 * HEARTBEAT_SECONDS)
    budget.share(await flows.processes.alive_count())


def _problem(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


async def messages(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return _problem(415, "expected Content-Type: application/json")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, f"request body over {request.app[SETTINGS].max_body_bytes} bytes")
    try:
        document = read_document(body)
    except UnreadableBody as unreadable:
        return _problem(400, str(unreadable))
    if not isinstance(document, dict) or not isinstance(document.get("type"), str) or not document["type"]:
        return _problem(400, "body is not an activity (an object with a type)")
    try:
        activity = Activity().deserialize(document)
    except Exception:  # noqa: BLE001 - msrest raises several kinds on malformed fields
        return _problem(400, "activity has malformed fields")
    if not activity.service_url or not activity.conversation or not activity.conversation.id:
        return _problem(400, "activity needs serviceUrl and conversation.id")
    ids = (activity.id, activity.reply_to_id, activity.conversation.id,
           getattr(activity.from_property, "id", None), getattr(activity.recipient, "id", None))
    if any(isinstance(value, str) and _NOT_IN_IDS.search(value) for value in ids) or \
            _CONTROL.search(activity.service_url):
        # Ids go into the Bot Connector's URL paths and headers: Teams never sends these
        # characters in them, and a reply addressed with one would fail after the turn's work.
        return _problem(400, "an id contains a character that Teams ids never have")
    sender = read_incoming(activity).aad_object_id
    if len(sender) > MAX_SENDER_ID:
        # Entra object ids are 36 characters; a longer one is forged and fits no column.
        return _problem(400, f"from.aadObjectId (or from.id) over {MAX_SENDER_ID} characters")

    endpoint = request.app[ENDPOINT]
    try:
        outcome = await endpoint.process(activity, request.headers.get("Authorization"), request.app[BOT].on_turn)
    except Unauthorized as refusal:
        log.info("request refused", extra={"reason": refusal.reason})
        return _problem(401, "unauthorized")
    except TenantRefused:
        log.info("tenant refused")
        return _problem(403, "this tenant is not allowed to use the bot")
    except (StorageUnavailable, SigningKeysUnavailable) as outage:
        log.warning("dependency unavailable", extra={"dependency": type(outage).__name__})
        return web.json_response(
            {"error": "service temporarily unavailable, retry later"}, status=503, headers={"Retry-After": "5"}
        )
    except TurnFailed as failure:
        return _problem(500, "the turn failed", reference=failure.reference)
    except Exception:
        reference = new_reference()
        log.exception("request failed", extra={"reference": reference})
        return _problem(500, "internal error", reference=reference)
    if outcome.body is None:
        return web.Response(status=outcome.status)
    return web.json_response(outcome.body, status=outcome.status)


async def export_file(request: web.Request) -> web.Response:
    filename = request.match_info["filename"]
    kind = filename.rsplit(".", 1)[-1]
    try:
        found = await request.app[FLOWS].exports.file(request.match_info["token"], kind)
    except StorageUnavailable:
        return _problem(503, "service temporarily unavailable, retry later")
    if found is None:
        # A person opened this in a browser: tell them in their browser's language.
        texts = Texts(language_of(request.headers.get("Accept-Language", "").split(",")[0].strip()))
        return web.Response(status=404, text=texts("export.link_expired"), content_type="text/plain",
                            charset="utf-8")
    content, content_type = found
    return web.Response(body=content, headers={
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


async def healthz(request: web.Request) -> web.Response:
    """503 only when the bot cannot answer at all; matching without embeddings still answers,
    so it is 200 with "status": "degraded" and the reason."""
    state = request.app[FLOWS].faq.matching_state()
    matching = {"mode": state.mode, **({"reason": state.reason} if state.reason else {}),
                "busy_fallbacks": state.busy_fallbacks}
    if not await request.app[DATABASE].ping():
        return web.json_response({"status": "unavailable", "database": "unreachable", "faq_matching": matching},
                                 status=503)
    return web.json_response({"status": "degraded" if state.degraded else "ok", "database": "ok",
                              "faq_matching": matching})
