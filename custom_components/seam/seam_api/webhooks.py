"""Verification of Seam webhook deliveries (no Home Assistant imports).

Seam delivers webhooks through Svix (Seam docs, developer-tools/webhooks: "We use webhooks from
Svix"; its Python SDK verifies them with the ``svix`` package). The scheme, as ``svix`` and
``standardwebhooks`` implement it:

- headers ``svix-id``, ``svix-timestamp`` (Unix seconds) and ``svix-signature``: one or more
  space-separated ``v1,<base64 signature>`` (several while a secret is being rotated);
- the signature is HMAC-SHA256 over ``"<svix-id>.<svix-timestamp>.<body>"``, keyed with the
  secret's bytes: the base64 after ``whsec_``;
- a timestamp more than 5 minutes from now, in either direction, is refused.

On top of that, this verifier recognises a ``svix-id`` it already accepted: Svix sends a message
again, with the same id and a new timestamp, when it did not see the 2xx of an attempt
(docs.svix.com/retries), so a correctly signed message with an accepted id is such a retry (or a
replay within the tolerance): ``verify`` returns None for it, to be answered 2xx and applied no
second time. It refuses bodies larger than ``max_body_bytes`` and bodies that are not a JSON
object with an ``event_id`` and ``event_type``.
It is written by hand (about 100 lines, standard library only) instead of depending on ``svix``
at runtime, and is tested against ``svix`` and its published test vectors.
"""

import base64
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import hashlib
import hmac
import time
from typing import Any

import orjson

TOLERANCE_S = 5 * 60
# A Seam event is a few KiB at most; 64 KiB leaves room and bounds the work per request.
MAX_BODY_BYTES = 64 * 1024
# Accepted ids are remembered this long after their acceptance: Svix retries a message for about
# 27.6 hours (attempts 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h apart, docs.svix.com/retries),
# and at most this many.
REMEMBER_S = 28 * 3600
MAX_REMEMBERED_IDS = 20_000
_SECRET_PREFIX = "whsec_"  # noqa: S105 (the format prefix, not a secret)


class Rejection(StrEnum):
    """Why a delivery was refused; ``status`` is the HTTP status to answer."""

    TOO_LARGE = "too_large"
    MISSING_HEADERS = "missing_headers"
    BAD_TIMESTAMP = "bad_timestamp"
    STALE = "stale"
    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"

    @property
    def status(self) -> int:
        """401 when the sender is not proven to be Seam, 400 for a signed but unusable body."""
        if self in (Rejection.TOO_LARGE, Rejection.MALFORMED):
            return 400
        return 401


class WebhookVerificationError(Exception):
    """A delivery that is not a fresh, correctly signed Seam event."""

    def __init__(self, reason: Rejection) -> None:
        super().__init__(reason.value)
        self.reason = reason


def decode_secret(secret: str) -> bytes:
    """Return the key bytes of a ``whsec_`` secret, decoded as ``svix`` decodes it."""
    if secret.startswith(_SECRET_PREFIX):
        secret = secret[len(_SECRET_PREFIX) :]
    key = base64.b64decode(secret + "==")
    if not key:
        raise ValueError("empty webhook secret")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``v1,`` signature of a delivery (what Seam puts in ``svix-signature``)."""
    to_sign = b"%s.%d.%s" % (msg_id.encode(), timestamp, body)
    return "v1," + base64.b64encode(hmac.digest(key, to_sign, hashlib.sha256)).decode()


@dataclass(slots=True)
class WebhookVerifier:
    """Verifies deliveries for one Seam webhook secret and remembers the accepted ids.

    ``_seen`` maps each accepted ``svix-id`` to when it was accepted, oldest first.
    """

    secret: str = field(repr=False)
    max_body_bytes: int = MAX_BODY_BYTES
    _key: bytes = field(init=False, repr=False)
    _seen: OrderedDict[str, float] = field(init=False, repr=False, default_factory=OrderedDict)

    def __post_init__(self) -> None:
        """Decode the secret once."""
        self._key = decode_secret(self.secret)

    def verify(
        self, body: bytes, headers: Mapping[str, str], *, now: float | None = None
    ) -> dict[str, Any] | None:
        """Return the event of a valid delivery, or raise ``WebhookVerificationError``.

        None: a correctly signed message whose id was accepted before (a Svix retry), to be
        answered 2xx and not applied again.

        ``headers`` is looked up case-insensitively only if it is (like aiohttp's) a
        case-insensitive mapping; pass lower-case keys otherwise.
        """
        if len(body) > self.max_body_bytes:
            raise WebhookVerificationError(Rejection.TOO_LARGE)
        msg_id = headers.get("svix-id", "")
        raw_timestamp = headers.get("svix-timestamp", "")
        signatures = headers.get("svix-signature", "")
        if not (msg_id and raw_timestamp and signatures):
            raise WebhookVerificationError(Rejection.MISSING_HEADERS)
        if not (raw_timestamp.isascii() and raw_timestamp.isdigit()) or len(raw_timestamp) > 12:
            raise WebhookVerificationError(Rejection.BAD_TIMESTAMP)
        timestamp = int(raw_timestamp)
        current = time.time() if now is None else now
        if abs(current - timestamp) > TOLERANCE_S:
            raise WebhookVerificationError(Rejection.STALE)
        expected = sign(self._key, msg_id, timestamp, body).encode()
        if not any(
            hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
            for candidate in signatures.split(" ")
            if candidate.startswith("v1,")
        ):
            raise WebhookVerificationError(Rejection.BAD_SIGNATURE)
        self._forget_before(current - REMEMBER_S)
        if msg_id in self._seen:
            return None
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            event = None
        if not (
            isinstance(event, dict)
            and isinstance(event.get("event_id"), str)
            and isinstance(event.get("event_type"), str)
        ):
            raise WebhookVerificationError(Rejection.MALFORMED)
        self._seen[msg_id] = current
        if len(self._seen) > MAX_REMEMBERED_IDS:
            self._seen.popitem(last=False)
        return event

    def _forget_before(self, oldest: float) -> None:
        """Drop the ids accepted before ``oldest`` (Svix has stopped retrying them)."""
        while self._seen:
            msg_id, accepted = next(iter(self._seen.items()))
            if accepted >= oldest:
                return
            del self._seen[msg_id]
