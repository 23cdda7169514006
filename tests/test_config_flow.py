"""Tests for the Seam config flow, options flow, reauth and reconfigure.

Most tests mock the Seam client at its boundary (``SeamClient`` methods); the tests at the end
drive the whole flow against the local sandbox over real HTTP, signing in on its login page.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
import gc
from http import HTTPStatus
import logging
from typing import Any
from unittest.mock import AsyncMock, patch
from urllib.parse import parse_qs, urlsplit

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.seam.const import CONF_API_URL, DOMAIN
from custom_components.seam.seam_api import (
    ConnectWebview,
    Device,
    SeamAuthError,
    SeamClient,
    SeamConnectionError,
    SeamNotFoundError,
    Workspace,
)
from tests import sign_in_on_webview
from tests.sandbox import Sandbox

API_KEY = "seam_test_key_1234567890"
NEW_API_KEY = "seam_test_key_new_0987654321"
API_URL = "https://connect.getseam.com"
WORKSPACE = Workspace(workspace_id="ws_1", name="Home", is_sandbox=True)
OTHER_WORKSPACE = Workspace(workspace_id="ws_2", name="Office", is_sandbox=False)
AUTH_TOKEN = "secret_auth_token_value"
WEBVIEW_URL = f"https://connect.getseam.com/connect_webviews/view?connect_webview_id=cw_1&auth_token={AUTH_TOKEN}"
LOCK = Device.from_api(
    {"device_id": "lock_1", "device_type": "salto_lock", "capabilities_supported": ["lock"]}
)
# A lock of the account the webview links (ca_1), once Seam's first sync has added it.
SYNCED_LOCK = Device.from_api(
    {
        "device_id": "lock_2",
        "device_type": "salto_lock",
        "capabilities_supported": ["lock"],
        "connected_account_id": "ca_1",
    }
)
THERMOSTAT = Device.from_api(
    {
        "device_id": "thermostat_1",
        "device_type": "ecobee_thermostat",
        "capabilities_supported": ["thermostat"],
    }
)


def _webview(status: str = "pending", *, login_successful: bool = False) -> ConnectWebview:
    return ConnectWebview(
        connect_webview_id="cw_1",
        url=WEBVIEW_URL,
        status=status,
        login_successful=login_successful,
        connected_account_id="ca_1" if status == "authorized" or login_successful else None,
    )


USER_INPUT = {CONF_API_KEY: API_KEY, "advanced": {CONF_API_URL: f"{API_URL}/"}}


@dataclass
class MockSeam:
    """The mocked client methods the flows use."""

    get_workspace: AsyncMock
    list_devices: AsyncMock
    create_connect_webview: AsyncMock
    get_connect_webview: AsyncMock


@pytest.fixture
def mock_seam() -> Iterator[MockSeam]:
    """Patch the Seam client methods; default: a sandbox workspace with one lock."""
    mocks = MockSeam(
        get_workspace=AsyncMock(return_value=WORKSPACE),
        list_devices=AsyncMock(return_value=[THERMOSTAT, LOCK]),
        create_connect_webview=AsyncMock(return_value=_webview()),
        get_connect_webview=AsyncMock(return_value=_webview("authorized")),
    )
    with patch.multiple(SeamClient, **vars(mocks)):
        yield mocks


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Keep the flow tests about the flow: do not set the entry up for real."""
    with patch("custom_components.seam.async_setup_entry", return_value=True) as mock:
        yield mock


@pytest.fixture(autouse=True)
def fast_webview_polling() -> Iterator[None]:
    """Poll the webview every 10 ms (instead of 2 s); wait 0.3 s for a first sync (not 60 s)."""
    with (
        patch("custom_components.seam.config_flow.WEBVIEW_POLL_INTERVAL", 0.01),
        patch("custom_components.seam.config_flow.FIRST_SYNC_TIMEOUT", 0.3),
    ):
        yield


@pytest.fixture
def entry() -> MockConfigEntry:
    """An entry for WORKSPACE (not yet added to Home Assistant)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Home (sandbox)",
        unique_id=WORKSPACE.workspace_id,
        data={CONF_API_KEY: API_KEY, CONF_API_URL: API_URL},
        minor_version=2,
    )


async def _start_user_flow(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return dict(result)


async def _wait_for_webview_outcome(hass: HomeAssistant, flow_id: str) -> dict[str, Any]:
    """Let the polling task finish, then continue the flow as the frontend does."""
    await hass.async_block_till_done(wait_background_tasks=True)
    return dict(await hass.config_entries.flow.async_configure(flow_id))


# ---------------------------------------------------------------------------- user step


@pytest.mark.parametrize(
    ("workspace", "title"),
    [(WORKSPACE, "Home (sandbox)"), (OTHER_WORKSPACE, "Office")],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_finish_with_existing_locks(
    hass: HomeAssistant, mock_seam: MockSeam, workspace: Workspace, title: str
) -> None:
    """A workspace with locks gets a menu; finishing creates the entry without a webview."""
    mock_seam.get_workspace.return_value = workspace
    result = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "link"
    assert result["menu_options"] == ["link_account", "finish"]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "finish"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert result["data"] == {CONF_API_KEY: API_KEY, CONF_API_URL: API_URL}
    assert result["options"] == {}
    assert result["result"].unique_id == workspace.workspace_id
    mock_seam.create_connect_webview.assert_not_called()


async def _async_options_link(hass: HomeAssistant, flow_id: str) -> Any:
    """Submit the options' only step, "Link another Salto KS account": then the webview opens."""
    return await hass.config_entries.options.async_configure(flow_id, {})


def _suggested_values(result: Any) -> dict[str, Any]:
    """The values a form shows pre-filled (its schema's suggested values), sections nested."""

    def values(schema: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in schema.schema.items():
            if isinstance(value, section):
                found[str(key)] = values(value.schema)
            elif (key.description or {}).get("suggested_value") is not None:
                found[str(key)] = key.description["suggested_value"]
        return found

    return values(result["data_schema"])


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (SeamAuthError("bad key"), "invalid_auth"),
        (SeamConnectionError("timeout"), "cannot_connect"),
        # A wrong API URL whose server answers 404 is no Seam API: cannot connect, no traceback.
        (SeamNotFoundError("HTTP 404"), "cannot_connect"),
        (ValueError("boom"), "unknown"),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_errors_and_recovery(
    hass: HomeAssistant,
    mock_seam: MockSeam,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    reason: str,
) -> None:
    """Each validation error shows on the form; fixing it leads to the entry."""
    result = await _start_user_flow(hass)
    mock_seam.get_workspace.side_effect = error

    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": reason}
    assert ("Unexpected error while checking the Seam API key" in caplog.text) is (
        reason == "unknown"
    )
    assert API_KEY not in caplog.text
    # The form keeps what the user entered.
    assert _suggested_values(result) == {
        CONF_API_KEY: API_KEY,
        "advanced": {CONF_API_URL: USER_INPUT["advanced"][CONF_API_URL]},
    }

    mock_seam.get_workspace.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "finish"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("api_url", "accepted"),
    [
        ("https://connect.getseam.com", True),
        ("HTTPS://seam.example.com/api/", True),
        ("http://localhost:8790", True),
        ("http://127.0.0.1:8790/", True),
        ("http://127.5.6.7", True),
        ("http://[::1]:8790", True),
        ("http://connect.getseam.com", False),
        ("http://192.168.1.20:8790", False),
        ("http://localhost.example.com", False),
        ("http://127.0.0.1.example.com", False),
        ("http://[::2]:8790", False),
        ("ftp://connect.getseam.com", False),
        ("connect.getseam.com", False),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_api_url_https_or_loopback(
    hass: HomeAssistant, mock_seam: MockSeam, api_url: str, accepted: bool
) -> None:
    """HTTPS anywhere, plain HTTP only to this machine (a Seam test server such as the sandbox).

    Otherwise the API key is not sent: the form says why, and opens the section with the URL
    (collapsed at first) to show what to fix.
    """
    result = await _start_user_flow(hass)
    assert result["data_schema"].schema["advanced"].options == {"collapsed": True}
    user_input = {CONF_API_KEY: API_KEY, "advanced": {CONF_API_URL: api_url}}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    if accepted:
        assert result["type"] is FlowResultType.MENU
        mock_seam.get_workspace.assert_awaited_once()
        return
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "api_url_not_https"}
    assert _suggested_values(result) == user_input
    assert result["data_schema"].schema["advanced"].options == {"collapsed": False}
    mock_seam.get_workspace.assert_not_awaited()

    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.MENU


@pytest.mark.usefixtures("mock_seam")
async def test_user_already_configured(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """A second entry for the same workspace is refused."""
    entry.add_to_hass(hass)
    result = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_user_list_devices_fails(hass: HomeAssistant, mock_seam: MockSeam) -> None:
    """Seam going away between the key check and the device list aborts the flow."""
    mock_seam.list_devices.side_effect = SeamConnectionError("HTTP 503")
    result = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


# ---------------------------------------------------------------------------- webview


async def _start_linking(hass: HomeAssistant, mock_seam: MockSeam) -> dict[str, Any]:
    """Start a flow on a workspace without locks: it goes straight to the webview."""
    mock_seam.list_devices.return_value = [THERMOSTAT]
    result = await _start_user_flow(hass)
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT))
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["step_id"] == "link_account"
    assert result["url"] == WEBVIEW_URL
    return result


@pytest.mark.parametrize(
    "authorized",
    [_webview("authorized"), _webview("pending", login_successful=True)],
    ids=["status_authorized", "login_successful"],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_link_account_authorized(
    hass: HomeAssistant,
    mock_seam: MockSeam,
    caplog: pytest.LogCaptureFixture,
    authorized: ConnectWebview,
) -> None:
    """The flow moves on by itself once the webview is authorized, despite poll errors."""
    caplog.set_level(logging.DEBUG, logger="custom_components.seam")
    mock_seam.get_connect_webview.side_effect = [
        _webview(),
        SeamConnectionError("Timeout while calling Seam /connect_webviews/get"),
        _webview(),
        authorized,
    ]
    result = await _start_linking(hass, mock_seam)
    mock_seam.create_connect_webview.assert_awaited_once_with(
        ["salto_ks"], accepted_capabilities=["lock"], wait_for_device_creation=True
    )
    # Seam's first sync of the new account: no lock yet, an error, then its lock.
    mock_seam.list_devices.side_effect = [
        [THERMOSTAT],
        SeamConnectionError("Timeout while calling Seam /devices/list"),
        [THERMOSTAT, SYNCED_LOCK],
    ]

    result = await _wait_for_webview_outcome(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home (sandbox)"
    assert result["data"] == {CONF_API_KEY: API_KEY, CONF_API_URL: API_URL}
    assert mock_seam.get_connect_webview.await_count == 4
    # The flow waited for the account's lock (all three answers were used).
    assert mock_seam.list_devices.await_count == 4
    assert "Could not poll Connect Webview cw_1" in caplog.text
    assert AUTH_TOKEN not in caplog.text
    assert API_KEY not in caplog.text


async def test_link_account_from_menu(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, mock_seam: MockSeam
) -> None:
    """The menu's link option opens the webview, and re-running the step reuses it."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.MENU
    mock_seam.get_connect_webview.return_value = _webview()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link_account"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["url"] == WEBVIEW_URL

    # The frontend's GET of the flow re-runs the current step: same webview, same task.
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    response = await client.get(f"/api/config/config_entries/flow/{result['flow_id']}")
    assert response.status == HTTPStatus.OK
    again = await response.json()
    assert again["type"] == "external"
    assert again["url"] == WEBVIEW_URL
    mock_seam.create_connect_webview.assert_awaited_once()

    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_link_account_failed(hass: HomeAssistant, mock_seam: MockSeam) -> None:
    """A failed webview aborts the flow."""
    mock_seam.get_connect_webview.return_value = _webview("failed")
    result = await _start_linking(hass, mock_seam)

    result = await _wait_for_webview_outcome(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "webview_failed"


async def test_link_account_timeout(hass: HomeAssistant, mock_seam: MockSeam) -> None:
    """A webview left pending (or unreachable) until the deadline aborts the flow."""
    mock_seam.get_connect_webview.side_effect = [_webview(), SeamConnectionError("down")] * 1000
    with patch("custom_components.seam.config_flow.WEBVIEW_TIMEOUT", 0.1):
        result = await _start_linking(hass, mock_seam)
        flow_id = result["flow_id"]
        result = await _wait_for_webview_outcome(hass, flow_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "webview_timeout"
    assert mock_seam.get_connect_webview.await_count > 2


@pytest.mark.usefixtures("mock_setup_entry")
async def test_login_in_the_last_moment_still_creates_the_entry(
    hass: HomeAssistant, mock_seam: MockSeam
) -> None:
    """The first-sync wait after a login does not count against the webview's timeout."""

    async def first_sync_after_the_deadline() -> list[Device]:
        await asyncio.sleep(0.15)  # the login came just before the deadline; the sync ends after
        return [THERMOSTAT, SYNCED_LOCK]

    with patch("custom_components.seam.config_flow.WEBVIEW_TIMEOUT", 0.1):
        result = await _start_linking(hass, mock_seam)
        mock_seam.list_devices.side_effect = first_sync_after_the_deadline
        result = await _wait_for_webview_outcome(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home (sandbox)"
    mock_seam.list_devices.assert_awaited()


async def test_link_account_webview_not_created(hass: HomeAssistant, mock_seam: MockSeam) -> None:
    """If Seam cannot create the webview, the flow aborts."""
    mock_seam.create_connect_webview.side_effect = SeamConnectionError("HTTP 500")
    mock_seam.list_devices.return_value = []
    result = await _start_user_flow(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], USER_INPUT)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_link_account_flow_closed(hass: HomeAssistant, mock_seam: MockSeam) -> None:
    """Closing the flow stops polling the webview."""
    mock_seam.get_connect_webview.return_value = _webview()
    result = await _start_linking(hass, mock_seam)
    await hass.async_block_till_done()
    polls = mock_seam.get_connect_webview.await_count

    hass.config_entries.flow.async_abort(result["flow_id"])
    await asyncio.sleep(0.05)  # five poll intervals

    assert mock_seam.get_connect_webview.await_count == polls
    assert hass.config_entries.flow.async_progress() == []


async def test_link_account_flow_closed_when_authorized(
    hass: HomeAssistant, mock_seam: MockSeam, caplog: pytest.LogCaptureFixture
) -> None:
    """The user closing the flow just as the webview is authorized is no error."""
    result = await _start_linking(hass, mock_seam)
    flow_id = result["flow_id"]

    def close_flow(_: str) -> ConnectWebview:
        hass.config_entries.flow.async_abort(flow_id)
        return _webview("authorized")

    mock_seam.get_connect_webview.side_effect = close_flow
    await hass.async_block_till_done(wait_background_tasks=True)
    gc.collect()  # a polling task that died with an exception reports it when collected

    assert hass.config_entries.flow.async_progress() == []
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


# ---------------------------------------------------------------------------- options


async def test_options_have_no_polling_setting(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The options only link another account: a form without fields explains it first

    (the options dialog shows no text on an external step; there is no polling setting).
    """
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "link"
    assert result["data_schema"] is not None
    assert result["data_schema"].schema == {}
    hass.config_entries.options.async_abort(result["flow_id"])


async def test_options_link_another_account(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    mock_seam: MockSeam,
    mock_setup_entry: AsyncMock,
) -> None:
    """Linking another account from the options reloads the entry; options stay."""
    entry.add_to_hass(hass)
    mock_seam.get_connect_webview.side_effect = [_webview(), _webview("authorized")]
    result = await hass.config_entries.options.async_init(entry.entry_id)

    result = await _async_options_link(hass, result["flow_id"])
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["url"] == WEBVIEW_URL

    await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.options.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_linked"
    await hass.async_block_till_done()
    assert entry.options == {}
    mock_setup_entry.assert_awaited_once()
    assert entry.state is ConfigEntryState.LOADED


async def test_options_link_timeout(
    hass: HomeAssistant, entry: MockConfigEntry, mock_seam: MockSeam
) -> None:
    """The options flow's webview wait also ends after the deadline."""
    entry.add_to_hass(hass)
    mock_seam.get_connect_webview.return_value = _webview()
    with patch("custom_components.seam.config_flow.WEBVIEW_TIMEOUT", 0.05):
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await _async_options_link(hass, result["flow_id"])
        await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.options.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "webview_timeout"


# ---------------------------------------------------------------------------- reauth, reconfigure


async def test_reauth(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    mock_seam: MockSeam,
    mock_setup_entry: AsyncMock,
) -> None:
    """A new key of the same workspace replaces the old one and reloads the entry."""
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "Home (sandbox)"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == {CONF_API_KEY: NEW_API_KEY, CONF_API_URL: API_URL}
    await hass.async_block_till_done()
    mock_setup_entry.assert_awaited_once()


async def test_reconfigure(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    mock_seam: MockSeam,
    mock_setup_entry: AsyncMock,
) -> None:
    """Key and URL change for the same workspace; the form suggests the current URL."""
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    url_key = next(iter(result["data_schema"].schema["advanced"].schema.schema))
    assert url_key.description == {"suggested_value": API_URL}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: NEW_API_KEY, "advanced": {CONF_API_URL: " http://127.0.0.1:8080/ "}},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_API_KEY: NEW_API_KEY, CONF_API_URL: "http://127.0.0.1:8080"}
    await hass.async_block_till_done()
    mock_setup_entry.assert_awaited_once()


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_url_only_keeps_the_key(
    hass: HomeAssistant, entry: MockConfigEntry, mock_seam: MockSeam
) -> None:
    """Changing only the URL: the key field may stay empty (the stored key is kept).

    The form never shows the stored key; after an error it keeps what the user entered.
    """
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert _suggested_values(result) == {"advanced": {CONF_API_URL: API_URL}}

    mock_seam.get_workspace.side_effect = SeamConnectionError("timeout")
    url_only = {"advanced": {CONF_API_URL: "http://127.0.0.1:8080"}}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], url_only)
    assert result["errors"] == {"base": "cannot_connect"}
    assert _suggested_values(result) == url_only

    mock_seam.get_workspace.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], url_only)
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_API_KEY: API_KEY, CONF_API_URL: "http://127.0.0.1:8080"}


# Each flow with the input that finishes it: reauth asks for a key, reconfigure for key and URL.
REAUTH_AND_RECONFIGURE = pytest.mark.parametrize(
    ("source", "user_input"),
    [
        (SOURCE_REAUTH, {CONF_API_KEY: NEW_API_KEY}),
        (SOURCE_RECONFIGURE, {CONF_API_KEY: NEW_API_KEY, "advanced": {CONF_API_URL: API_URL}}),
    ],
    ids=[SOURCE_REAUTH, SOURCE_RECONFIGURE],
)


async def _start_entry_flow(
    hass: HomeAssistant, entry: MockConfigEntry, source: str
) -> dict[str, Any]:
    """Start the entry's reauth or reconfigure flow."""
    if source == SOURCE_REAUTH:
        return dict(await entry.start_reauth_flow(hass))
    return dict(await entry.start_reconfigure_flow(hass))


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (SeamAuthError("bad key"), "invalid_auth"),
        (SeamConnectionError("timeout"), "cannot_connect"),
        (ValueError("boom"), "unknown"),
    ],
)
@REAUTH_AND_RECONFIGURE
@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_and_reconfigure_errors_and_recovery(
    *,
    hass: HomeAssistant,
    entry: MockConfigEntry,
    mock_seam: MockSeam,
    source: str,
    user_input: dict[str, Any],
    error: Exception,
    reason: str,
) -> None:
    """Errors show on the reauth / reconfigure form; working settings then finish it."""
    entry.add_to_hass(hass)
    result = await _start_entry_flow(hass, entry, source)
    mock_seam.get_workspace.side_effect = error

    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": reason}

    mock_seam.get_workspace.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{source}_successful"
    assert entry.data == {CONF_API_KEY: NEW_API_KEY, CONF_API_URL: API_URL}


@REAUTH_AND_RECONFIGURE
@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_and_reconfigure_refuse_plain_http(
    hass: HomeAssistant,
    mock_seam: MockSeam,
    source: str,
    user_input: dict[str, Any],
) -> None:
    """A new key is not sent to an API URL over plain HTTP on another machine.

    Reconfigure: the URL typed; re-authenticate: an entry's stored URL (from an older version).
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=WORKSPACE.workspace_id,
        data={CONF_API_KEY: API_KEY, CONF_API_URL: "http://seam.example.com"},
        minor_version=2,
    )
    entry.add_to_hass(hass)
    result = await _start_entry_flow(hass, entry, source)
    if source == SOURCE_RECONFIGURE:
        user_input = {
            CONF_API_KEY: NEW_API_KEY,
            "advanced": {CONF_API_URL: "http://seam.example.com"},
        }

    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "api_url_not_https"}
    mock_seam.get_workspace.assert_not_awaited()
    assert entry.data[CONF_API_KEY] == API_KEY


@REAUTH_AND_RECONFIGURE
async def test_reauth_and_reconfigure_wrong_workspace(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    mock_seam: MockSeam,
    source: str,
    user_input: dict[str, Any],
) -> None:
    """A key (and URL) of another workspace are refused; the entry keeps its own."""
    entry.add_to_hass(hass)
    mock_seam.get_workspace.return_value = OTHER_WORKSPACE
    result = await _start_entry_flow(hass, entry, source)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data == {CONF_API_KEY: API_KEY, CONF_API_URL: API_URL}


# ---------------------------------------------------------------------------- sandbox (real HTTP)


def _salto_devices(hass: HomeAssistant, entry_id: str) -> set[str]:
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    return {
        device_id
        for device in devices
        for domain, device_id in device.identifiers
        if domain == DOMAIN and device_id.startswith("salto_lock")
    }


async def test_sandbox_full_flow(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Against the sandbox: key, menu, webview sign-in, entry, and the new Salto locks."""
    caplog.set_level(logging.DEBUG)
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: sandbox.api_key, "advanced": {CONF_API_URL: sandbox.url}}
    )
    assert result["type"] is FlowResultType.MENU  # the seeded workspace already has locks

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link_account"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    url = result["url"]
    auth_token = parse_qs(urlsplit(url).query)["auth_token"][0]

    page = await sign_in_on_webview(url, password="wrong")
    assert "Invalid email or password" in page
    page = await sign_in_on_webview(url)
    assert 'id="success"' in page

    result = await _wait_for_webview_outcome(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == sandbox_state["workspace_id"]
    # Set up at once: the entry also got its Home Assistant webhook id (push has no URL here).
    assert entry.data == {
        CONF_API_KEY: sandbox.api_key,
        CONF_API_URL: sandbox.url,
        CONF_WEBHOOK_ID: entry.data[CONF_WEBHOOK_ID],
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    devices = _salto_devices(hass, entry.entry_id)
    assert {"salto_lock_webview_1_1", "salto_lock_webview_1_2"} <= devices
    assert set(sandbox_state["salto_device_ids"]) <= devices
    assert auth_token not in caplog.text
    assert sandbox.api_key not in caplog.text

    await hass.config_entries.async_unload(entry.entry_id)


async def test_sandbox_options_link_another_account(
    hass: HomeAssistant,
    sandbox: Sandbox,
    sandbox_state: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """Against the sandbox: the options flow links another account; its locks are added."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert not {"salto_lock_webview_1_1"} & _salto_devices(hass, mock_config_entry.entry_id)

    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await _async_options_link(hass, result["flow_id"])
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert 'id="success"' in await sign_in_on_webview(result["url"])

    await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.options.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_linked"
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    devices = _salto_devices(hass, mock_config_entry.entry_id)
    assert {"salto_lock_webview_1_1", "salto_lock_webview_1_2"} <= devices
    assert set(sandbox_state["salto_device_ids"]) <= devices

    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_sandbox_empty_workspace_goes_straight_to_webview(
    hass: HomeAssistant, sandbox: Sandbox, sandbox_state: dict[str, Any]
) -> None:
    """Against the sandbox: a workspace without locks opens the webview right away."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_KEY: sandbox_state["empty_workspace_api_key"],
            "advanced": {CONF_API_URL: f"{sandbox.url}/"},
        },
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["url"].startswith(f"{sandbox.url}/")
    hass.config_entries.flow.async_abort(result["flow_id"])
