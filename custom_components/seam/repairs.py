"""The fix flow of the account repair issues (issues.py raises the issues).

It re-links a Salto KS account through a new Seam Connect Webview: one that is disconnected
(``account_disconnected``), that Seam asks to reauthorize before it disconnects it
(``account_reauthorization_requested``), or whose Seam user lacks permissions
(``insufficient_permissions``).
"""

from typing import TYPE_CHECKING, Any, override

from homeassistant.components.repairs import (
    RepairsFlow,
    RepairsFlowContext,
    RepairsFlowManager,
    RepairsFlowResult,
    repairs_flow_manager,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import probatio

from .config_flow import ConnectWebviewFlow
from .const import DOMAIN
from .issues import DATA_ENTRY_ID

if TYPE_CHECKING:
    from .coordinator import SeamConfigEntry


class AccountDisconnectedRepairFlow(
    ConnectWebviewFlow[RepairsFlowContext, RepairsFlowResult], RepairsFlow
):
    """Re-link a Salto KS account through a new Connect Webview.

    Once the webview is authorized the flow finishes (Home Assistant deletes the issue) and
    the locks are polled again: if Seam still reports the problem, the issue comes back.
    """

    _entry: SeamConfigEntry
    _manager: RepairsFlowManager

    def __init__(self, entry_id: str) -> None:
        """Create the flow for the issue of a config entry's connected account."""
        super().__init__()
        self._entry_id = entry_id

    @property
    @override
    def _flow_manager(self) -> RepairsFlowManager:
        return self._manager

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Check that the config entry is loaded, then ask to sign in again."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        manager = repairs_flow_manager(self.hass)
        if entry is None or entry.state is not ConfigEntryState.LOADED or manager is None:
            return self.async_abort(reason="not_loaded")
        self._entry = entry
        self._manager = manager
        self._client = entry.runtime_data.client
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Explain what happens; on submit, open the Connect Webview."""
        if user_input is not None:
            return await self.async_step_link_account()
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        return self.async_show_form(
            step_id="confirm",
            data_schema=probatio.Schema({}),
            description_placeholders=issue.translation_placeholders if issue else None,
        )

    async def async_step_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Finish (the account is linked) and poll Seam again once the issue is deleted."""
        coordinator = self._entry.runtime_data
        self._entry.async_create_background_task(
            self.hass,
            coordinator.async_request_refresh(),
            f"{DOMAIN} refresh after re-linking an account",
            eager_start=False,
        )
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the fix flow of a fixable issue (each is fixed by re-linking the account)."""
    return AccountDisconnectedRepairFlow(str((data or {}).get(DATA_ENTRY_ID)))
