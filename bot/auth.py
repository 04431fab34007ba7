"""Validating the Bot Connector's JWT on every inbound request, the way Bot Framework does.

botbuilder 4.17.1 does this too, but answers bad tokens with 500 and refreshes keys with a
blocking `requests.get`; this validator answers every failure with a reason (-> 401) and
fetches keys with aiohttp.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

import aiohttp
import jwt
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 5 * 60
KEY_CACHE_SECONDS = 24 * 60 * 60
UNKNOWN_KEY_REFRESH_SECONDS = 5 * 60
MAX_KEY_ID_LENGTH = 200


class Unauthorized(Exception):
    """The request carries no acceptable token; `reason` is logged, never sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SigningKeysUnavailable(Exception):
    """The OpenID metadata or key set could not be fetched; the request cannot be judged."""


@dataclass(frozen=True)
class _SigningKey:
    public_key: object
    endorsements: tuple[str, ...]


class SigningKeyCache:
    def __init__(self, metadata_url: str, http: aiohttp.ClientSession) -> None:
        self._metadata_url = metadata_url
        self._http = http
        self._keys: dict[str, _SigningKey] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key(self, key_id: str) -> _SigningKey | None:
        if self._needs_refresh(key_id):
            async with self._lock:
                if self._needs_refresh(key_id):
                    await self._refresh()
        return self._keys.get(key_id)

    def _needs_refresh(self, key_id: str) -> bool:
        age = time.monotonic() - self._fetched_at
        if not self._keys or age > KEY_CACHE_SECONDS:
            return True
        return key_id not in self._keys and age > UNKNOWN_KEY_REFRESH_SECONDS

    async def _refresh(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with self._http.get(self._metadata_url, timeout=timeout) as response:
                response.raise_for_status()
                jwks_uri = (await response.json(content_type=None))["jwks_uri"]
            async with self._http.get(jwks_uri, timeout=timeout) as response:
                response.raise_for_status()
                documents = (await response.json(content_type=None))["keys"]
        except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as error:
            log.warning("signing keys unavailable", extra={"error": type(error).__name__})
            if not self._keys:
                raise SigningKeysUnavailable(type(error).__name__) from error
            # Keep the keys we have and try again in a minute rather than on every request.
            self._fetched_at = time.monotonic() - KEY_CACHE_SECONDS + 60
            return
        keys = {}
        for document in documents:
            try:
                keys[document["kid"]] = _SigningKey(
                    public_key=RSAAlgorithm.from_jwk(json.dumps(document)),
                    endorsements=tuple(document.get("endorsements") or ()),
                )
            except (KeyError, ValueError, jwt.InvalidKeyError):
                log.warning("skipping an unusable signing key")
        self._keys = keys
        self._fetched_at = time.monotonic()


class ChannelTokenValidator:
    """Checks issuer, audience, lifetime, signature, endorsement and service URL."""

    def __init__(self, *, app_id: str, issuer: str, keys: SigningKeyCache) -> None:
        self._app_id = app_id
        self._issuer = issuer
        self._keys = keys

    async def validate(self, authorization: str | None, *, channel_id: str, service_url: str | None) -> dict:
        if not authorization:
            raise Unauthorized("missing Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token.strip():
            raise Unauthorized("Authorization is not a Bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("malformed token") from None
        if header.get("alg") != "RS256":
            raise Unauthorized("token algorithm not allowed")
        # Refused before any key look-up: a token that names no key can never be valid, and must
        # not cost a call to the key service (nor a 503 while that service is down).
        key_id = header.get("kid")
        if not isinstance(key_id, str) or not key_id or len(key_id) > MAX_KEY_ID_LENGTH:
            raise Unauthorized("token names no signing key")
        key = await self._keys.key(key_id)
        if key is None:
            raise Unauthorized("token signed with an unknown key")
        if key.endorsements and channel_id not in key.endorsements:
            raise Unauthorized("signing key not endorsed for this channel")
        try:
            claims = jwt.decode(
                token,
                key.public_key,
                algorithms=["RS256"],
                audience=self._app_id,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("token audience is not this bot") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("token issuer not allowed") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("bad token signature") from None
        except jwt.PyJWTError as error:
            raise Unauthorized(f"invalid token ({type(error).__name__})") from None
        # As Bot Framework's channel validation: the token must say which service URL it is for.
        claimed_url = claims.get("serviceurl") or claims.get("serviceUrl")
        if not isinstance(claimed_url, str) or not claimed_url:
            raise Unauthorized("token names no service URL")
        if service_url and claimed_url.rstrip("/") != service_url.rstrip("/"):
            raise Unauthorized("token service URL does not match the activity")
        return claims
