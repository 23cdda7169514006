"""Push updates: a Home Assistant webhook that Seam calls for lock, device, code, account events.

On setup the entry registers a Home Assistant webhook and a Seam webhook pointing at it:
through a Home Assistant Cloud cloudhook when Cloud is logged in, else at the instance's external
HTTPS URL. Without such a URL there is no webhook (polling as before), and a repair issue and the
diagnostics say why. A Seam webhook of ours that is still registered for the same URL (from an
earlier run) is reused when we still hold its secret, else replaced: never duplicated. On unload
the Seam webhook is deleted.

Every delivery is verified (``seam_api.WebhookVerifier``: Svix signature, 5-minute tolerance,
replays, size, body) before anything changes; refused deliveries get 401 or 400, never 500, and
are logged at most once a minute, without their body.
"""

from collections import Counter
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import ipaddress
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from homeassistant.components import cloud, webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest

from .const import (
    CONF_API_URL,
    CONF_SEAM_WEBHOOK_ID,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    WEBHOOK_EVENT_TYPES,
)
from .issues import async_update_push_issue
from .seam_api import SeamClient, SeamError, WebhookVerificationError, WebhookVerifier
from .seam_api.webhooks import MAX_BODY_BYTES

_LOGGER = logging.getLogger(__name__)

# Refused deliveries are logged at most this often (seconds).
REJECTION_LOG_INTERVAL = 60.0

# Why push is off (diagnostics and the repair issue's placeholder).
REASON_NO_URL = "no_url"
REASON_SEAM_ERROR = "seam_error"

type DeliveryHandler = Callable[[dict[str, Any]], None]


def is_loopback(url: str) -> bool:
    """Whether the URL's host is this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def async_webhook_base_url(hass: HomeAssistant, api_url: str) -> str | None:
    """Return the instance's URL Seam can call, or None.

    Seam's cloud needs an external HTTPS URL. The one exception is a Seam test server on this
    machine (an API URL on loopback, such as the local sandbox): it can only call this machine,
    so a loopback URL over plain HTTP is allowed, and only then. A real Seam is never given an
    HTTP URL.
    """
    try:
        return get_url(
            hass,
            allow_internal=False,
            allow_cloud=False,
            require_ssl=True,
            prefer_external=True,
        )
    except NoURLAvailableError:
        pass
    if not is_loopback(api_url):
        return None
    try:
        url = get_url(hass, allow_cloud=False, prefer_external=True)
    except NoURLAvailableError:
        return None
    return url if is_loopback(url) else None


@dataclass(slots=True)
class PushStatus:
    """How push goes, for the coordinator's poll interval and the diagnostics."""

    active: bool = False
    reason: str | None = None
    url_kind: str | None = None  # "cloudhook", "external" or "loopback"
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    last_delivery: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the diagnostics view (no URL, id or secret)."""
        return {
            "active": self.active,
            "reason": self.reason,
            "url_kind": self.url_kind,
            "accepted": self.accepted,
            "rejected": dict(self.rejected),
            "last_delivery": self.last_delivery.isoformat() if self.last_delivery else None,
        }


class SeamPush:
    """The entry's Home Assistant webhook and the Seam webhook that calls it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: SeamClient,
        on_event: DeliveryHandler,
    ) -> None:
        """Prepare push for a config entry; ``on_event`` gets each verified event."""
        self.hass = hass
        self.entry = entry
        self._client = client
        self.status = PushStatus()
        self._on_event: DeliveryHandler | None = on_event
        self._verifier: WebhookVerifier | None = None
        self._registered = False
        self._seam_webhook_id: str | None = None
        self._last_rejection_log = -REJECTION_LOG_INTERVAL
        self._unlogged: Counter[str] = Counter()

    @property
    def webhook_id(self) -> str:
        """The entry's Home Assistant webhook id (made once, kept in the entry)."""
        webhook_id: str = self.entry.data[CONF_WEBHOOK_ID]
        return webhook_id

    async def async_start(self) -> None:
        """Register the webhooks, or record why push is off. Never raises."""
        if CONF_WEBHOOK_ID not in self.entry.data:
            self.hass.config_entries.async_update_entry(
                self.entry, data={**self.entry.data, CONF_WEBHOOK_ID: secrets.token_hex(32)}
            )
        url = await self._async_url()
        if url is None:
            self._set_inactive(REASON_NO_URL)
            return
        try:
            await self._async_ensure_seam_webhook(url)
        except SeamError as err:
            _LOGGER.warning("Could not set up Seam webhooks (polling instead): %s", err)
            self._set_inactive(REASON_SEAM_ERROR)
            return
        webhook.async_register(
            self.hass,
            DOMAIN,
            f"Seam {self.entry.title}",
            self.webhook_id,
            self._async_handle,
            allowed_methods=["POST"],
        )
        self._registered = True
        self.status.active = True
        self.status.reason = None
        async_update_push_issue(self.hass, self.entry, None)

    async def async_stop(self) -> None:
        """Unregister the Home Assistant webhook and delete the Seam webhook.

        From here on nothing delivered is applied, also a delivery whose body is still arriving.
        """
        self._on_event = None
        self._verifier = None
        if self._registered:
            webhook.async_unregister(self.hass, self.webhook_id)
            self._registered = False
        self.status.active = False
        if self._seam_webhook_id is not None:
            try:
                await self._client.delete_webhook(self._seam_webhook_id)
            except SeamError as err:
                # Found by its URL and replaced at the next setup, or deleted on removal.
                _LOGGER.debug("Could not delete the Seam webhook: %s", err)
            else:
                self.hass.config_entries.async_update_entry(
                    self.entry,
                    data={
                        key: value
                        for key, value in self.entry.data.items()
                        if key not in (CONF_SEAM_WEBHOOK_ID, CONF_WEBHOOK_SECRET)
                    },
                )
            self._seam_webhook_id = None

    def _set_inactive(self, reason: str) -> None:
        self.status.active = False
        self.status.reason = reason
        async_update_push_issue(self.hass, self.entry, reason)

    async def _async_url(self) -> str | None:
        """Return a cloudhook, the external HTTPS URL, or (test servers only) a loopback URL."""
        if cloud.async_active_subscription(self.hass):
            try:
                url = await cloud.async_get_or_create_cloudhook(self.hass, self.webhook_id)
            except cloud.CloudNotAvailable, cloud.CloudNotConnected:
                _LOGGER.debug("Home Assistant Cloud is not connected; trying the external URL")
            else:
                self.status.url_kind = "cloudhook"
                return url
        base = async_webhook_base_url(self.hass, self.entry.data[CONF_API_URL])
        if base is None:
            self.status.url_kind = None
            return None
        self.status.url_kind = "loopback" if is_loopback(base) else "external"
        return f"{base}{webhook.async_generate_path(self.webhook_id)}"

    async def _async_ensure_seam_webhook(self, url: str) -> None:
        """Reuse our Seam webhook for ``url`` if we hold its secret; delete other ones for it."""
        client = self._client
        stored_id = self.entry.data.get(CONF_SEAM_WEBHOOK_ID)
        secret = self.entry.data.get(CONF_WEBHOOK_SECRET)
        keep = None
        for existing in await client.list_webhooks():
            if existing.url != url:
                continue
            if keep is None and existing.webhook_id == stored_id and secret:
                keep = existing
            else:
                _LOGGER.debug("Replacing a stale Seam webhook %s", existing.webhook_id)
                await client.delete_webhook(existing.webhook_id)
        if keep is None or set(keep.event_types) != set(WEBHOOK_EVENT_TYPES):
            if keep is not None:
                await client.delete_webhook(keep.webhook_id)
            created = await client.create_webhook(url, WEBHOOK_EVENT_TYPES)
            if not created.secret:
                raise SeamError("Seam created a webhook without a secret")
            stored_id, secret = created.webhook_id, created.secret
            self.hass.config_entries.async_update_entry(
                self.entry,
                data={
                    **self.entry.data,
                    CONF_SEAM_WEBHOOK_ID: stored_id,
                    CONF_WEBHOOK_SECRET: secret,
                },
            )
        self._seam_webhook_id = stored_id
        self._verifier = WebhookVerifier(str(secret))

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request | MockRequest
    ) -> web.Response:
        """Verify a delivery; pass its event on, or refuse it with 401/400 (never 500)."""
        body = await _async_read_body(request)
        # Push stopped while the body arrived (the entry unloads): nothing is applied, and the
        # answer is the webhook component's for a webhook it does not have (200).
        verifier, on_event = self._verifier, self._on_event
        if verifier is None or on_event is None:
            return web.Response(status=200)
        try:
            event = verifier.verify(body, request.headers)
        except WebhookVerificationError as err:
            self._log_rejection(err.reason.value)
            return web.Response(status=err.reason.status)
        if event is not None:  # None: Svix retrying a message already accepted (2xx, no change)
            self.status.accepted += 1
            self.status.last_delivery = dt_util.utcnow()
            on_event(event)
        return web.Response(status=200)

    @callback
    def _log_rejection(self, reason: str) -> None:
        """Count a refused delivery; log the counts at most once per REJECTION_LOG_INTERVAL."""
        self.status.rejected[reason] += 1
        self._unlogged[reason] += 1
        now = time.monotonic()
        if now - self._last_rejection_log < REJECTION_LOG_INTERVAL:
            return
        self._last_rejection_log = now
        counts = ", ".join(f"{count} {name}" for name, count in sorted(self._unlogged.items()))
        self._unlogged.clear()
        _LOGGER.warning(
            "Refused Seam webhook deliveries that were not correctly signed or not valid (%s); "
            "nothing was changed",
            counts,
        )


async def _async_read_body(request: web.Request | MockRequest) -> bytes:
    """Read a delivery's body once: at most ``MAX_BODY_BYTES`` + 1 bytes (more is too large).

    ``request.content`` is taken once: a Home Assistant Cloud (cloudhook) delivery is a
    ``MockRequest``, whose ``content`` is a new reader at the start of the body on every access.
    """
    stream = request.content
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES and (chunk := await stream.read(MAX_BODY_BYTES + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


async def async_remove_push(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """On removal: delete a Seam webhook that unloading could not, the cloudhook and the issue."""
    async_update_push_issue(hass, entry, None)
    if seam_webhook_id := entry.data.get(CONF_SEAM_WEBHOOK_ID):
        client = SeamClient(
            async_get_clientsession(hass),
            entry.data[CONF_API_KEY],
            base_url=entry.data[CONF_API_URL],
        )
        try:
            await client.delete_webhook(seam_webhook_id)
        except SeamError as err:
            _LOGGER.warning(
                "Could not delete the Seam webhook of the removed entry; delete it in the Seam "
                "Console (Webhooks): %s",
                err,
            )
    if (webhook_id := entry.data.get(CONF_WEBHOOK_ID)) and cloud.async_active_subscription(hass):
        with contextlib.suppress(cloud.CloudNotAvailable, ValueError):
            await cloud.async_delete_cloudhook(hass, webhook_id)
