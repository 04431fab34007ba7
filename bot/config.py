"""Settings read from the environment once, at start, and validated as a whole.

Every problem names the variable, so an admin reading a failed start-up log knows what to fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/digimentor.db"
# A managed identity (UserAssignedMSI) is not supported: outbound tokens use the client secret.
APP_TYPES = ("MultiTenant", "SingleTenant")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
PUBLIC_CLOUD_OPENID_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
PUBLIC_CLOUD_TOKEN_ISSUER = "https://api.botframework.com"
PUBLIC_CLOUD_LOGIN_URL = "https://login.microsoftonline.com"
MAX_RETENTION_DAYS = 3650  # ten years


class ConfigError(ValueError):
    """Raised with every invalid variable listed, one per line."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 3978
    database_url: str = DEFAULT_DATABASE_URL
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    allowed_tenants: frozenset[str] = frozenset()
    log_level: str = "INFO"
    # Where Bot Framework publishes its token-signing keys, and who issues channel tokens.
    # Overridable so that tests can serve both from loopback.
    openid_metadata_url: str = PUBLIC_CLOUD_OPENID_METADATA
    token_issuer: str = PUBLIC_CLOUD_TOKEN_ISSUER
    login_url: str = PUBLIC_CLOUD_LOGIN_URL
    max_body_bytes: int = 256 * 1024
    migrate_on_start: bool = True
    escalation_poll_seconds: float = 5.0
    offer_group_size: int = 3
    public_base_url: str = ""
    digest_weekday: int = 0
    graph_tenant_id: str = ""
    graph_client_id: str = ""
    graph_client_secret: str = field(default="", repr=False)
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    # The app's id in the Teams app catalog, to install it for mentors; empty = looked up by manifest id.
    teams_app_id: str = ""
    graph_group_chats: bool = False
    semantic_matching: bool = True
    digest_time: str = "08:00"
    export_signing_key: str = field(default="", repr=False)
    # Texts people wrote (questions, comments, notes, pending FAQ variants) are redacted after this.
    retention_days: int = 365
    # Survey answers are deleted this long after their round closed; its results stay.
    survey_retention_days: int = 3 * 365
    # Tests of a whole served process only: the product clock starts at this moment.
    clock_start: datetime | None = None

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    @property
    def graph_enabled(self) -> bool:
        return bool(self.graph_tenant_id and self.graph_client_id and self.graph_client_secret)


def _flag(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    return None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    problems: list[str] = []

    def text(name: str, default: str = "") -> str:
        return env.get(name, default).strip()

    host = text("HOST", "127.0.0.1") or "127.0.0.1"

    port = 3978
    raw_port = text("PORT")
    if raw_port:
        if raw_port.isdigit() and 0 < int(raw_port) < 65536:
            port = int(raw_port)
        else:
            problems.append(f"PORT: expected a port number 1-65535, got {raw_port!r}")

    database_url = text("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        problems.append(
            "DATABASE_URL: expected sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST/DB"
        )

    app_id = text("MicrosoftAppId")
    app_password = env.get("MicrosoftAppPassword", "")
    app_type = text("MicrosoftAppType") or "MultiTenant"
    app_tenant_id = text("MicrosoftAppTenantId")
    if app_type not in APP_TYPES:
        problems.append(f"MicrosoftAppType: expected one of {', '.join(APP_TYPES)}, got {app_type!r}")
    if app_id and not app_password:
        problems.append("MicrosoftAppPassword: required when MicrosoftAppId is set")
    if app_id and app_type == "SingleTenant" and not app_tenant_id:
        problems.append("MicrosoftAppTenantId: required when MicrosoftAppType is SingleTenant")

    allowed_tenants = frozenset(t.strip().lower() for t in text("ALLOWED_TENANTS").split(",") if t.strip())

    log_level = (text("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL: expected one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

    def flag(name: str, default: bool) -> bool:
        raw = text(name)
        if not raw:
            return default
        parsed = _flag(raw)
        if parsed is None:
            problems.append(f"{name}: expected true or false, got {raw!r}")
            return default
        return parsed

    migrate_on_start = flag("MIGRATE_ON_START", True)

    escalation_poll_seconds = 5.0
    raw_poll = text("ESCALATION_POLL_SECONDS")
    if raw_poll:
        try:
            escalation_poll_seconds = float(raw_poll)
            if not 0.05 <= escalation_poll_seconds <= 300:
                raise ValueError
        except ValueError:
            problems.append(f"ESCALATION_POLL_SECONDS: expected seconds between 0.05 and 300, got {raw_poll!r}")

    offer_group_size = 3
    raw_group = text("OFFER_GROUP_SIZE")
    if raw_group:
        if raw_group.isdigit() and 1 <= int(raw_group) <= 20:
            offer_group_size = int(raw_group)
        else:
            problems.append(f"OFFER_GROUP_SIZE: expected a number of mentors from 1 to 20, got {raw_group!r}")

    weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    raw_day = (text("DIGEST_DAY") or "monday").lower()
    digest_weekday = weekdays.index(raw_day) if raw_day in weekdays else 0
    if raw_day not in weekdays:
        problems.append(f"DIGEST_DAY: expected a weekday in English, e.g. monday, got {raw_day!r}")
    digest_time = text("DIGEST_TIME") or "08:00"
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", digest_time):
        problems.append(f"DIGEST_TIME: expected HH:MM (Europe/Helsinki), got {digest_time!r}")

    retention_days = 365
    raw_retention = text("RETENTION_DAYS")
    if raw_retention:
        if raw_retention.isdigit() and 1 <= int(raw_retention) <= MAX_RETENTION_DAYS:
            retention_days = int(raw_retention)
        else:
            problems.append(f"RETENTION_DAYS: expected a number of days from 1 to {MAX_RETENTION_DAYS}, "
                            f"got {raw_retention!r}")

    survey_retention_days = 3 * 365
    raw_survey_retention = text("SURVEY_RETENTION_DAYS")
    if raw_survey_retention:
        if raw_survey_retention.isdigit() and 1 <= int(raw_survey_retention) <= MAX_RETENTION_DAYS:
            survey_retention_days = int(raw_survey_retention)
        else:
            problems.append(f"SURVEY_RETENTION_DAYS: expected a number of days from 1 to {MAX_RETENTION_DAYS}, "
                            f"got {raw_survey_retention!r}")

    graph = {"GRAPH_TENANT_ID": text("GRAPH_TENANT_ID"), "GRAPH_CLIENT_ID": text("GRAPH_CLIENT_ID"),
             "GRAPH_CLIENT_SECRET": env.get("GRAPH_CLIENT_SECRET", "")}
    if any(graph.values()):
        for name, value in graph.items():
            if not value:
                problems.append(f"{name}: required when any of GRAPH_TENANT_ID, GRAPH_CLIENT_ID, "
                                "GRAPH_CLIENT_SECRET is set")
    graph_base_url = (text("GRAPH_BASE_URL") or "https://graph.microsoft.com/v1.0").rstrip("/")
    graph_group_chats = flag("GRAPH_GROUP_CHATS", False)
    semantic_matching = flag("SEMANTIC_MATCHING", True)

    public_base_url = (text("PUBLIC_BASE_URL") or f"http://{host}:{port}").rstrip("/")
    if not public_base_url.startswith(("https://", "http://")):
        problems.append("PUBLIC_BASE_URL: expected the bot's public address, e.g. https://bot.example.fi")

    openid_metadata_url = text("BOT_OPENID_METADATA_URL") or PUBLIC_CLOUD_OPENID_METADATA
    token_issuer = text("BOT_TOKEN_ISSUER") or PUBLIC_CLOUD_TOKEN_ISSUER
    login_url = (text("BOT_LOGIN_URL") or PUBLIC_CLOUD_LOGIN_URL).rstrip("/")
    for name, value in (
        ("BOT_OPENID_METADATA_URL", openid_metadata_url),
        ("BOT_LOGIN_URL", login_url),
        ("GRAPH_BASE_URL", graph_base_url),
    ):
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            problems.append(f"{name}: expected an https:// address (http only on loopback)")

    clock_start = None
    raw_clock = text("DIGIMENTOR_CLOCK_START")
    if raw_clock:
        try:
            clock_start = datetime.fromisoformat(raw_clock)
            if clock_start.tzinfo is None:
                raise ValueError
        except ValueError:
            problems.append(f"DIGIMENTOR_CLOCK_START: expected an ISO time with its offset, got {raw_clock!r}")

    if problems:
        raise ConfigError("\n".join(problems))

    return Settings(
        host=host,
        port=port,
        database_url=database_url,
        app_id=app_id,
        app_password=app_password,
        app_type=app_type,
        app_tenant_id=app_tenant_id,
        allowed_tenants=allowed_tenants,
        log_level=log_level,
        openid_metadata_url=openid_metadata_url,
        token_issuer=token_issuer,
        login_url=login_url,
        migrate_on_start=migrate_on_start,
        escalation_poll_seconds=escalation_poll_seconds,
        offer_group_size=offer_group_size,
        public_base_url=public_base_url,
        digest_weekday=digest_weekday,
        graph_tenant_id=graph["GRAPH_TENANT_ID"],
        graph_client_id=graph["GRAPH_CLIENT_ID"],
        graph_client_secret=graph["GRAPH_CLIENT_SECRET"],
        graph_base_url=graph_base_url,
        teams_app_id=text("TEAMS_APP_ID"),
        graph_group_chats=graph_group_chats,
        semantic_matching=semantic_matching,
        digest_time=digest_time,
        export_signing_key=env.get("EXPORT_SIGNING_KEY", "") or app_password,
        retention_days=retention_days,
        survey_retention_days=survey_retention_days,
        clock_start=clock_start,
    )
