"""Tests of Seam webhook verification (seam_api/webhooks.py) and the client's webhook methods.

The verifier is written by hand; the ``svix`` package (a test requirement only, what Seam's own
SDK verifies with) is the oracle, together with the Standard Webhooks / Svix published test vector.
"""

import base64
from datetime import UTC, datetime
import random
from typing import Any
from unittest.mock import patch

import aiohttp
import orjson
import pytest
from svix.webhooks import Webhook as SvixWebhook, WebhookVerificationError as SvixError

from custom_components.seam.seam_api import (
    Rejection,
    SeamClient,
    SeamInvalidInputError,
    WebhookVerificationError,
    WebhookVerifier,
)
from custom_components.seam.seam_api.webhooks import (
    MAX_BODY_BYTES,
    REMEMBER_S,
    TOLERANCE_S,
    sign,
)
from tests.sandbox import Sandbox

# The published test vector (Standard Webhooks specification, used by Svix's libraries).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

NOW = 1_800_000_000
EVENT = {"event_id": "ev_1", "event_type": "lock.unlocked", "device_id": "dev_1"}


def _headers(msg_id: str, timestamp: int | str, signature: str) -> dict[str, str]:
    return {"svix-id": msg_id, "svix-timestamp": str(timestamp), "svix-signature": signature}


def _signed(
    secret: str = VECTOR_SECRET,
    body: bytes | None = None,
    msg_id: str = "msg_1",
    timestamp: int = NOW,
) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(EVENT) if body is None else body
    signature = SvixWebhook(secret).sign(
        msg_id, datetime.fromtimestamp(timestamp, UTC), body.decode()
    )
    return body, _headers(msg_id, timestamp, signature)


def _rejection(
    verifier: WebhookVerifier, body: bytes, headers: dict[str, str], now: float = NOW
) -> Rejection:
    with pytest.raises(WebhookVerificationError) as err:
        verifier.verify(body, headers, now=now)
    return err.value.reason


def test_published_test_vector() -> None:
    """The reference signature is reproduced and accepted, with or without the whsec_ prefix."""
    key = base64.b64decode(VECTOR_SECRET.removeprefix("whsec_"))
    assert sign(key, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    headers = _headers(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE)
    for secret in (VECTOR_SECRET, VECTOR_SECRET.removeprefix("whsec_")):
        # The vector's body is JSON but not a Seam event: signature and time pass, the body not.
        assert (
            _rejection(WebhookVerifier(secret), VECTOR_BODY, headers, VECTOR_TIMESTAMP)
            is Rejection.MALFORMED
        )
    # svix agrees that the vector is valid.
    assert (
        SvixWebhook(VECTOR_SECRET).sign(
            VECTOR_ID, datetime.fromtimestamp(VECTOR_TIMESTAMP, UTC), VECTOR_BODY.decode()
        )
        == VECTOR_SIGNATURE
    )


def test_valid_delivery_returns_the_event() -> None:
    body, headers = _signed()
    assert WebhookVerifier(VECTOR_SECRET).verify(body, headers, now=NOW) == EVENT


def test_any_of_several_signatures() -> None:
    """During a secret rotation Svix sends several signatures: one match is enough."""
    body, headers = _signed()
    good = headers["svix-signature"]
    headers["svix-signature"] = f"v1,{'A' * 44} v1a,xyz garbage v2,{good[3:]} {good}"
    assert WebhookVerifier(VECTOR_SECRET).verify(body, headers, now=NOW) == EVENT


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (
            lambda b, h: (b, {k: v for k, v in h.items() if k != "svix-id"}),
            Rejection.MISSING_HEADERS,
        ),
        (
            lambda b, h: (b, {k: v for k, v in h.items() if k != "svix-timestamp"}),
            Rejection.MISSING_HEADERS,
        ),
        (
            lambda b, h: (b, {k: v for k, v in h.items() if k != "svix-signature"}),
            Rejection.MISSING_HEADERS,
        ),
        (lambda b, h: (b, {}), Rejection.MISSING_HEADERS),
        (lambda b, h: (b, {**h, "svix-timestamp": "12.5"}), Rejection.BAD_TIMESTAMP),
        (lambda b, h: (b, {**h, "svix-timestamp": "-1"}), Rejection.BAD_TIMESTAMP),
        (lambda b, h: (b, {**h, "svix-timestamp": "9" * 40}), Rejection.BAD_TIMESTAMP),
        (lambda b, h: (b, {**h, "svix-timestamp": str(NOW - TOLERANCE_S - 1)}), Rejection.STALE),
        (lambda b, h: (b, {**h, "svix-timestamp": str(NOW + TOLERANCE_S + 1)}), Rejection.STALE),
        (lambda b, h: (b + b" ", h), Rejection.BAD_SIGNATURE),
        (lambda b, h: (b, {**h, "svix-id": "msg_2"}), Rejection.BAD_SIGNATURE),
        (
            lambda b, h: (b, {**h, "svix-signature": h["svix-signature"].replace("v1,", "v2,")}),
            Rejection.BAD_SIGNATURE,
        ),
        (lambda b, h: (b, {**h, "svix-signature": "v1,"}), Rejection.BAD_SIGNATURE),
        (lambda b, h: (b"x" * (MAX_BODY_BYTES + 1), h), Rejection.TOO_LARGE),
    ],
)
def test_rejections(mutate: Any, reason: Rejection) -> None:
    """Unsigned, wrongly signed, stale, odd-timestamp and oversized deliveries are refused."""
    body, headers = _signed()
    body, headers = mutate(body, headers)
    assert _rejection(WebhookVerifier(VECTOR_SECRET), body, headers) is reason
    assert reason.status == (400 if reason is Rejection.TOO_LARGE else 401)


def test_wrong_secret() -> None:
    body, headers = _signed(secret="whsec_" + base64.b64encode(b"another secret!!").decode())
    assert _rejection(WebhookVerifier(VECTOR_SECRET), body, headers) is Rejection.BAD_SIGNATURE


def test_tolerance_is_five_minutes_each_way() -> None:
    verifier = WebhookVerifier(VECTOR_SECRET)
    for offset, msg_id in ((TOLERANCE_S, "a"), (-TOLERANCE_S, "b")):
        body, headers = _signed(msg_id=msg_id, timestamp=NOW + offset)
        assert verifier.verify(body, headers, now=NOW) == EVENT


def test_a_retry_of_an_accepted_id_is_recognised() -> None:
    """Svix's retry (same id, new timestamp) or a replay: None (answer 2xx, apply nothing)."""
    verifier = WebhookVerifier(VECTOR_SECRET)
    body, headers = _signed()
    assert verifier.verify(body, headers, now=NOW) == EVENT
    assert verifier.verify(body, headers, now=NOW + 1) is None
    # Svix's last retry comes about 27.6 hours after the first attempt.
    last_retry = NOW + 27 * 3600 + 2000
    assert verifier.verify(*_signed(timestamp=last_retry), now=last_retry) is None
    body, headers = _signed(msg_id="msg_other")
    assert verifier.verify(body, headers, now=NOW + 1) == EVENT


def test_a_refused_delivery_is_not_remembered() -> None:
    """A delivery that failed verification does not block the genuine one with the same id."""
    verifier = WebhookVerifier(VECTOR_SECRET)
    body, headers = _signed()
    assert (
        _rejection(verifier, body, {**headers, "svix-signature": "v1,AAAA"})
        is Rejection.BAD_SIGNATURE
    )
    assert verifier.verify(body, headers, now=NOW) == EVENT


def test_remembered_ids_age_out() -> None:
    """An id is forgotten once Svix no longer retries it (REMEMBER_S after its acceptance)."""
    verifier = WebhookVerifier(VECTOR_SECRET)
    body, headers = _signed(timestamp=NOW)
    verifier.verify(body, headers, now=NOW)
    later = NOW + REMEMBER_S + 10
    assert verifier.verify(*_signed(msg_id="msg_2", timestamp=later), now=later) == EVENT
    # The first id is forgotten, and a replay of it is stale anyway.
    assert _rejection(verifier, body, headers, later) is Rejection.STALE
    assert verifier.verify(*_signed(timestamp=later), now=later) == EVENT


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"{}",
        b'{"event_id": 1, "event_type": "lock.locked"}',
        b'{"event_id": "e"}',
        b"\xff\xfe",
    ],
)
def test_signed_but_malformed_bodies(body: bytes) -> None:
    signature = sign(base64.b64decode(VECTOR_SECRET[6:]), "msg_1", NOW, body)
    assert (
        _rejection(WebhookVerifier(VECTOR_SECRET), body, _headers("msg_1", NOW, signature))
        is Rejection.MALFORMED
    )
    assert Rejection.MALFORMED.status == 400


def test_secret_is_not_in_repr() -> None:
    assert VECTOR_SECRET[6:] not in repr(WebhookVerifier(VECTOR_SECRET))


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        WebhookVerifier("whsec_")


def test_agrees_with_svix_on_random_deliveries() -> None:
    """Accept exactly what svix accepts, over random secrets, ids, times, bodies and mutations."""
    rng = random.Random(12)
    now = int(datetime.now(UTC).timestamp())  # svix checks against the real clock
    for case in range(400):
        secret = "whsec_" + base64.b64encode(rng.randbytes(rng.choice((16, 24, 32)))).decode()
        msg_id = f"msg_{rng.getrandbits(64):x}"
        timestamp = now + rng.choice((0, 5, -250, 290, -290, 310, -310, 3600))
        body = orjson.dumps(
            {"event_id": f"ev_{case}", "event_type": "lock.locked", "n": rng.random()}
        )
        signature = SvixWebhook(secret).sign(
            msg_id, datetime.fromtimestamp(timestamp, UTC), body.decode()
        )
        headers = _headers(msg_id, timestamp, signature)
        match rng.randrange(6):
            case 0:
                body = body.replace(b"lock.locked", b"lock.unlockd")
            case 1:
                headers["svix-signature"] = "v1," + base64.b64encode(rng.randbytes(32)).decode()
            case 2:
                headers["svix-signature"] = (
                    f"v1,{base64.b64encode(rng.randbytes(32)).decode()} {signature}"
                )
            case 3:
                headers["svix-id"] += "x"
        try:
            SvixWebhook(secret).verify(body, headers)
            svix_ok = True
        except SvixError:
            svix_ok = False
        try:
            WebhookVerifier(secret).verify(body, headers, now=now)
            ours_ok = True
        except WebhookVerificationError:
            ours_ok = False
        assert ours_ok == svix_ok, (case, headers["svix-timestamp"], now)


# ---------------------------------------------------------------------------------------------
# The client's webhook methods against the sandbox
# ---------------------------------------------------------------------------------------------


async def test_create_list_delete_webhook(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session:
        client = SeamClient(session, sandbox.api_key, base_url=sandbox.url, request_timeout=5)
        created = await client.create_webhook(
            "https://ha.example/api/webhook/abc", ["lock.locked", "lock.unlocked"]
        )
        assert created.url == "https://ha.example/api/webhook/abc"
        assert created.event_types == ("lock.locked", "lock.unlocked")
        assert created.secret is not None
        assert created.secret.startswith("whsec_")
        assert created.secret not in repr(created)
        WebhookVerifier(created.secret)  # Svix-format secret
        listed = await client.list_webhooks()
        assert [w.webhook_id for w in listed] == [created.webhook_id]
        await client.delete_webhook(created.webhook_id)
        assert await client.list_webhooks() == []
        with pytest.raises(SeamInvalidInputError):
            await client.create_webhook("https://ha.example/x", ["lock.*"])


def test_remembered_ids_are_bounded() -> None:
    """At most MAX_REMEMBERED_IDS ids are kept: the oldest goes first."""
    verifier = WebhookVerifier(VECTOR_SECRET)
    with patch("custom_components.seam.seam_api.webhooks.MAX_REMEMBERED_IDS", 1):
        for msg_id in ("a", "b"):
            body, headers = _signed(msg_id=msg_id)
            verifier.verify(body, headers, now=NOW)
    body, headers = _signed(msg_id="a")
    assert verifier.verify(body, headers, now=NOW) == EVENT  # forgotten
    assert verifier.verify(*_signed(msg_id="a"), now=NOW) is None
