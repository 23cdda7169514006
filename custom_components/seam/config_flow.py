"""Config flow for the Seam integration.

A user enters a Seam API key, then links a Salto KS account through a Seam Connect Webview
that Home Assistant's frontend opens in a new window (an external step). A background task
polls the webview and moves the flow on by itself. The options flow changes the poll interval
and links further accounts through the same webview step, and the repair flow of a disconnected
account (repairs.py) re-links it through it too (``ConnectWebviewFlow``).

The API key and the webview URL (it carries an ``auth_token``) are never logged.
"""

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Mapping
from contextlib import suppress
import logging
from typing import Any, override
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowContext,
    ConfigFlowResult,
    OptionsFlow,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import (
    FlowContext,
    FlowHandler,
    FlowManager,
    FlowResult,
    UnknownFlow,
    section,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .const import (
    CONF_API_URL,
    DOMAIN,
    SALTO_KS_PROVIDER,
)
from .seam_api import (
    DEFAULT_API_URL,
    ConnectWebview,
    SeamAuthError,
    SeamClient,
    SeamError,
)
from .webhook import is_loopback

_LOGGER = logging.getLogger(__name__)

WEBVIEW_POLL_INTERVAL = 2.0
"""Seconds between two polls of the Connect Webview."""
WEBVIEW_TIMEOUT = 600.0
"""Seconds the flow waits for the user to finish the Connect Webview."""
FIRST_SYNC_TIMEOUT = 60.0
"""Seconds the flow waits, after the login, for the first locks of the new account.

Seam syncs a newly connected account's devices after the login (its first sync); the flow
asks Seam to wait for them (``wait_for_device_creation``), and waits itself at most this long
for the account's first lock. Locks that come later appear at a poll without a restart.
"""
ACCEPTED_CAPABILITIES = ["lock"]
"""What the Connect Webview links: ``salto_ks`` is also the key of Seam's Salto KS access
control system integration, so ask for locks explicitly."""

SECTION_ADVANCED = "advanced"
ERROR_API_URL_NOT_HTTPS = "api_url_not_https"

STEP_FINISH = "finish"
STEP_LINK = "link"
STEP_LINK_ACCOUNT = "link_account"
STEP_WEBVIEW_FAILED = "webview_failed"
STEP_WEBVIEW_TIMEOUT = "webview_timeout"

_API_KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _credentials_schema(api_key: probatio.Marker, errors: dict[str, str]) -> probatio.Schema:
    """Return the form asking for the API key and, in a section, the API URL.

    The section is collapsed unless the error is about the URL.
    """
    return probatio.Schema(
        {
            api_key: _API_KEY_SELECTOR,
            probatio.Required(SECTION_ADVANCED): section(
                probatio.Schema(
                    {
                        probatio.Required(CONF_API_URL, default=DEFAULT_API_URL): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.URL)
                        ),
                    }
                ),
                {"collapsed": errors.get("base") != ERROR_API_URL_NOT_HTTPS},
            ),
        }
    )


STEP_REAUTH_SCHEMA = probatio.Schema({probatio.Required(CONF_API_KEY): _API_KEY_SELECTOR})


def _create_client(hass: HomeAssistant, api_key: str, api_url: str) -> SeamClient:
    """Return a Seam client on Home Assistant's shared HTTP session."""
    return SeamClient(async_get_clientsession(hass), api_key, base_url=api_url)


class ConnectWebviewFlow[ContextT: FlowContext, ResultT: FlowResult[Any, Any]](
    FlowHandler[ContextT, ResultT, str], ABC
):
    """The Connect Webview step, shared by the config, options and repair flows.

    ``async_step_link_account`` creates one webview and one polling task per flow and is safe
    to run again with no input (a GET of the flow does that): it shows the same external step
    until the task has an outcome, then moves on to ``finish``, ``webview_failed`` or
    ``webview_timeout``. A flow sets ``_client`` and implements ``async_step_finish`` and
    ``_flow_manager`` (the manager the polling task resumes the flow through).
    """

    _client: SeamClient
    _webview: ConnectWebview | None = None
    _webview_task: asyncio.Task[None] | None = None
    _webview_outcome: str | None = None

    @property
    @abstractmethod
    def _flow_manager(self) -> FlowManager[ContextT, ResultT, str]:
        """The manager that runs this flow (the polling task resumes the flow through it)."""

    async def async_step_link_account(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Open a Connect Webview for a Salto KS account and wait for the user to finish it."""
        if self._webview_outcome is not None:
            return self.async_external_step_done(next_step_id=self._webview_outcome)
        if self._webview is None:
            try:
                self._webview = await self._client.create_connect_webview(
                    [SALTO_KS_PROVIDER],
                    accepted_capabilities=ACCEPTED_CAPABILITIES,
                    wait_for_device_creation=True,
                )
            except SeamError as err:
                _LOGGER.debug("Could not create a Connect Webview: %s", err)
                return self.async_abort(reason="cannot_connect")
            self._webview_task = self.hass.async_create_background_task(
                self._async_wait_for_webview(self._webview.connect_webview_id),
                f"{DOMAIN} Connect Webview {self._webview.connect_webview_id}",
            )
        return self.async_external_step(step_id=STEP_LINK_ACCOUNT, url=self._webview.url)

    async def _async_wait_for_webview(self, connect_webview_id: str) -> None:
        """Poll the webview until it has an outcome, then move the flow on.

        Only the user's part has the WEBVIEW_TIMEOUT: the wait for the first sync after a
        login (at most FIRST_SYNC_TIMEOUT) comes on top, so a login in the last minute counts.
        """
        try:
            async with asyncio.timeout(WEBVIEW_TIMEOUT):
                webview = await self._async_poll_webview(connect_webview_id)
        except TimeoutError:
            self._webview_outcome = STEP_WEBVIEW_TIMEOUT
        else:
            if webview.status == "authorized" or webview.login_successful:
                await self._async_wait_for_first_sync(webview.connected_account_id)
                self._webview_outcome = STEP_FINISH
            else:
                self._webview_outcome = STEP_WEBVIEW_FAILED
        with suppress(UnknownFlow):  # the flow was finished or closed meanwhile
            await self._flow_manager.async_configure(self.flow_id)

    async def _async_poll_webview(self, connect_webview_id: str) -> ConnectWebview:
        """Return the webview once it is authorized (or its login succeeded) or failed."""
        while True:
            await asyncio.sleep(WEBVIEW_POLL_INTERVAL)
            try:
                webview = await self._client.get_connect_webview(connect_webview_id)
            except SeamError as err:
                _LOGGER.debug("Could not poll Connect Webview %s: %s", connect_webview_id, err)
                continue
            if webview.status in ("authorized", "failed") or webview.login_successful:
                return webview

    async def _async_wait_for_first_sync(self, connected_account_id: str | None) -> None:
        """Wait (at most FIRST_SYNC_TIMEOUT) until the linked account has a lock at Seam."""
        try:
            async with asyncio.timeout(FIRST_SYNC_TIMEOUT):
                while True:
                    try:
                        devices = await self._client.list_devices()
                    except SeamError as err:
                        _LOGGER.debug("Could not list devices after linking: %s", err)
                    else:
                        if any(
                            device.is_lock
                            and (
                                connected_account_id is None
                                or device.connected_account_id == connected_account_id
                            )
                            for device in devices
                        ):
                            return
                    await asyncio.sleep(WEBVIEW_POLL_INTERVAL)
        except TimeoutError:
            _LOGGER.debug("No lock of the linked account yet; it will appear at a later poll")

    async def async_step_webview_failed(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Abort: linking the account failed."""
        return self.async_abort(reason="webview_failed")

    async def async_step_webview_timeout(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Abort: the webview was not finished in time."""
        return self.async_abort(reason="webview_timeout")

    @callback
    @override
    def async_remove(self) -> None:
        """Stop polling when the flow is finished or closed."""
        if self._webview_task is not None:
            self._webview_task.cancel()


class SeamConfigFlow(
    ConnectWebviewFlow[ConfigFlowContext, ConfigFlowResult], ConfigFlow, domain=DOMAIN
):
    """Set up a Seam workspace and link a Salto KS account to it."""

    VERSION = 1
    # 1.2: no user-set polling interval in the options (async_migrate_entry drops it).
    MINOR_VERSION = 2

    _title: str
    _data: dict[str, str]
    _workspace_id: str

    @property
    @override
    def _flow_manager(self) -> FlowManager[ConfigFlowContext, ConfigFlowResult, str]:
        return self.hass.config_entries.flow

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return SeamOptionsFlow()

    async def _async_validate(self, api_key: str, api_url: str) -> dict[str, str]:
        """Check the API key against Seam; return form errors (none when it works).

        The key is sent only over HTTPS, or over plain HTTP to this machine (a test server).
        """
        api_url = api_url.strip().rstrip("/")
        scheme = urlsplit(api_url).scheme.lower()
        if not (scheme == "https" or (scheme == "http" and is_loopback(api_url))):
            return {"base": ERROR_API_URL_NOT_HTTPS}
        client = _create_client(self.hass, api_key, api_url)
        try:
            workspace = await client.get_workspace()
        except SeamAuthError:
            return {"base": "invalid_auth"}
        except SeamError as err:
            # Unreachable, a server error, or not Seam's API at all (e.g. a 404 at a wrong URL).
            _LOGGER.debug("Could not check the Seam API key at %s: %s", api_url, err)
            return {"base": "cannot_connect"}
        except Exception:
            _LOGGER.exception("Unexpected error while checking the Seam API key")
            return {"base": "unknown"}
        self._client = client
        self._workspace_id = workspace.workspace_id
        self._title = f"{workspace.name} (sandbox)" if workspace.is_sandbox else workspace.name
        self._data = {CONF_API_KEY: api_key, CONF_API_URL: api_url}
        return {}

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the API key (and, in a collapsed section, the API URL)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_validate(
                user_input[CONF_API_KEY], user_input[SECTION_ADVANCED][CONF_API_URL]
            )
            if not errors:
                await self.async_set_unique_id(self._workspace_id)
                self._abort_if_unique_id_configured()
                return await self.async_step_link()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(probatio.Required(CONF_API_KEY), errors), user_input
            ),
            errors=errors,
        )

    async def async_step_link(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer to keep the workspace's locks, or go straight to linking when it has none."""
        try:
            devices = await self._client.list_devices()
        except SeamError as err:
            _LOGGER.debug("Could not list the workspace's devices: %s", err)
            return self.async_abort(reason="cannot_connect")
        if any(device.is_lock for device in devices):
            return self.async_show_menu(
                step_id=STEP_LINK, menu_options=[STEP_LINK_ACCOUNT, STEP_FINISH]
            )
        return await self.async_step_link_account()

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the config entry."""
        return self.async_create_entry(
            title=self._title,
            data=self._data,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication after Seam rejected the API key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key of the same workspace."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entry = self._get_reauth_entry()
            errors = await self._async_validate(user_input[CONF_API_KEY], entry.data[CONF_API_URL])
            if not errors:
                await self.async_set_unique_id(self._workspace_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                # The recovery line for the "Authentication failed" error the coordinator logged.
                _LOGGER.info("Seam accepted the new API key of %s; reloading it", entry.title)
                return self.async_update_reload_and_abort(entry, data_updates=self._data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(STEP_REAUTH_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the API key or URL of the same workspace (an empty key keeps the stored one)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_validate(
                user_input.get(CONF_API_KEY) or entry.data[CONF_API_KEY],
                user_input[SECTION_ADVANCED][CONF_API_URL],
            )
            if not errors:
                await self.async_set_unique_id(self._workspace_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data_updates=self._data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                # An empty API key keeps the stored one.
                _credentials_schema(probatio.Optional(CONF_API_KEY), errors),
                user_input or {SECTION_ADVANCED: {CONF_API_URL: entry.data[CONF_API_URL]}},
            ),
            errors=errors,
        )


class SeamOptionsFlow(
    ConnectWebviewFlow[ConfigFlowContext, ConfigFlowResult], OptionsFlowWithReload
):
    """Link another Salto KS account (polling is not user-set: Seam pushes changes)."""

    @property
    @override
    def _flow_manager(self) -> FlowManager[ConfigFlowContext, ConfigFlowResult, str]:
        return self.hass.config_entries.options

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Link another account: the only option (polling is not user-set: Seam pushes)."""
        self._client = _create_client(
            self.hass, self.config_entry.data[CONF_API_KEY], self.config_entry.data[CONF_API_URL]
        )
        return await self.async_step_link()

    async def async_step_link(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Explain the sign-in window first (the options dialog shows no external step's text)."""
        if user_input is not None:
            return await self.async_step_link_account()
        return self.async_show_form(step_id=STEP_LINK, data_schema=probatio.Schema({}))

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Reload the entry so that the newly linked account's locks are added."""
        self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)
        return self.async_abort(reason="account_linked")
