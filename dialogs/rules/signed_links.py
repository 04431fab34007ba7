"""Short-lived signed links to export files, so that a coordinator can download them in Teams
without the bot keeping files around. The link is the permission: it names the coordinator's
scope and period, and it expires."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

LIFETIME_SECONDS = 15 * 60


@dataclass(frozen=True)
class ExportGrant:
    person_id: int
    units: tuple[str, ...] | None
    start: str  # ISO datetimes
    end: str
    language: str
    expires: int
    kind: str = "activity"  # activity (requests, time, feedback) | impact
    # A survey round's results instead of the period's data (dialogs/flows/survey_results.py).
    round_id: int | None = None


class LinkSigner:
    def __init__(self, key: bytes | None = None) -> None:
        # Without a configured key every process makes its own: links then only work on the
        # replica that made them, which is fine for one process and documented for more.
        self._key = key or secrets.token_bytes(32)

    def sign(self, grant: ExportGrant) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(grant.__dict__, separators=(",", ":")).encode()).rstrip(b"=")
        return f"{payload.decode()}.{self._mac(payload)}"

    def verify(self, token: str, now: float) -> ExportGrant | None:
        """The grant when the token is authentic and not expired at `now` (seconds since the epoch)."""
        payload, _, mac = token.partition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            grant = ExportGrant(**{**data, "units": tuple(data["units"]) if data["units"] is not None else None})
        except (ValueError, TypeError, KeyError):
            return None
        return grant if grant.expires >= now else None

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def key_from(secret: str) -> bytes | None:
    return hashlib.sha256(f"digimentor-export:{secret}".encode()).digest() if secret else None
