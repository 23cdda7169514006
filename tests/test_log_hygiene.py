"""Log hygiene: no API key, PIN or webview auth_token in any log record, even at DEBUG."""

from collections.abc import Iterator
import logging
import re
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_API_KEY, EVENT_LOGGING_CHANGED
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.seam import services
from custom_components.seam.const import CONF_API_URL, DOMAIN
from tests import sign_in_on_webview
from tests.sandbox import Sandbox

SALTO = "lock.front_door"


@pytest.fixture(autouse=True)
def fast_polling() -> Iterator[None]:
    """Poll action attempts, PINs and lost creates without waiting."""
    with (
        patch("custom_components.seam.lock.ACTION_POLL_INTERVAL", 0.01),
        patch("custom_components.seam.config_flow.WEBVIEW_POLL_INTERVAL", 0.01),
        patch.object(services, "CODE_POLL_INTERVAL", 0.05),
        patch.object(services, "RECOVERY_DELAY", 0),
    ):
        yield


def _record_texts(record: logging.LogRecord) -> list[str]:
    """Everything a handler could write for a record: message, raw args, traceback, stack."""
    texts = [record.getMessage(), str(record.msg), repr(record.args)]
    if record.exc_info:
        texts.append(logging.Formatter().formatException(record.exc_info))
    texts.extend(text for text in (record.exc_text, record.stack_info) if text)
    return texts


async def _call(hass: HomeAssistant, action: str, entity_id: str, **data: Any) -> dict[str, Any]:
    """Call a Seam action on one lock; return that lock's part of the response (if any)."""
    response = await hass.services.async_call(
        DOMAIN,
        action,
        {ATTR_ENTITY_ID: entity_id, **data},
        blocking=True,
        return_response=action in {"create_access_code", "get_access_code", "list_access_codes"},
    )
    return dict(response[entity_id]) if response else {}


async def test_no_secret_in_any_log_record(
    hass: HomeAssistant, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Config flow with webview sign-in, setup, polls, lock/unlock and every access-code action.

    Everything is captured at DEBUG (Home Assistant core included, whose event bus logs the
    data of each action call). No custom code is typed into an action: core would echo it in
    that debug line, which is the user's own input and outside the integration's control. The
    PINs checked are the ones Seam generated (on a Salto and on a non-Salto lock), collected
    from the action responses; these, the API key and the webview's auth_token must appear in
    no record's message, arguments or traceback.
    """
    caplog.set_level(logging.DEBUG)
    hass.bus.async_fire(EVENT_LOGGING_CHANGED)  # HA core's bus re-reads its log level
    await hass.async_block_till_done()
    await sandbox.set_config(salto_code_delay_s=0.1)

    # Config flow: API key, then the Connect Webview sign-in; the entry is set up.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: sandbox.api_key, "advanced": {CONF_API_URL: sandbox.url}}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link_account"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    [auth_token] = parse_qs(urlsplit(result["url"]).query)["auth_token"]
    assert 'id="success"' in await sign_in_on_webview(result["url"])
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    august_lock = er.async_get(hass).async_get_entity_id("lock", DOMAIN, "august_device_1-lock")
    assert august_lock is not None

    # Polls, one of them failing and the next recovering.
    coordinator = entry.runtime_data
    await coordinator.async_refresh()
    await sandbox.fault("/devices/list", "outage", count=1)
    await coordinator.async_refresh()
    await coordinator.async_refresh()
    assert coordinator.last_update_success

    for service in (SERVICE_UNLOCK, SERVICE_LOCK):
        await hass.services.async_call(LOCK_DOMAIN, service, {ATTR_ENTITY_ID: SALTO}, blocking=True)

    # Every access-code action, including a create whose answer is lost and a failing one.
    salto = await _call(hass, "create_access_code", SALTO, name="Guest")
    await sandbox.fault("/access_codes/create", "drop", count=1)
    lost = await _call(hass, "create_access_code", SALTO, name="Lost")
    assert lost["recovered"] is True
    august = await _call(hass, "create_access_code", august_lock, name="Walker")
    await sandbox.fault("/access_codes/create", "rate_limit", count=1)
    with pytest.raises(HomeAssistantError):
        await _call(hass, "create_access_code", august_lock, name="Limited")
    listed = [
        code["code"]
        for entity_id in (SALTO, august_lock)
        for code in (await _call(hass, "list_access_codes", entity_id))["access_codes"]
    ]
    read = await _call(hass, "get_access_code", SALTO, access_code_id=lost["access_code_id"])
    assert read["code"] == lost["code"]
    await _call(
        hass, "update_access_code", august_lock, access_code_id=august["access_code_id"], name="W"
    )
    await _call(hass, "delete_access_code", august_lock, access_code_id=august["access_code_id"])
    await _call(hass, "delete_access_code", SALTO, access_code_id=salto["access_code_id"])

    pins = [salto["code"], lost["code"], august["code"]]
    assert all(re.fullmatch(r"\d{4,10}", pin) for pin in pins)
    assert sorted(listed) == sorted(pins)
    texts = [(r.name, text) for r in caplog.records for text in _record_texts(r)]
    # The capture works: the integration's requests and core's action calls are in it.
    assert any("POST /access_codes/create" in text for _, text in texts)
    assert any(name == "homeassistant.core" and "create_access_code" in t for name, t in texts)
    for secret in (sandbox.api_key, auth_token):
        assert not [(name, text) for name, text in texts if secret in text]
    # A PIN is a run of digits: match it whole, not inside a longer number (a port, an id).
    for pin in pins:
        pattern = re.compile(rf"(?<!\d){pin}(?!\d)")
        assert not [(name, text) for name, text in texts if pattern.search(text)], pin

    assert await hass.config_entries.async_unload(entry.entry_id)
