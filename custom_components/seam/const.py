"""Constants for the Seam integration."""

from typing import Final

DOMAIN: Final = "seam"

CONF_API_URL: Final = "api_url"
# Removed in entry version 1.2 (polling intervals are not user-set); only the migration uses it.
CONF_POLL_INTERVAL: Final = "poll_interval"
# Push: the Seam webhook's id and signing secret (never logged, redacted in diagnostics).
CONF_SEAM_WEBHOOK_ID: Final = "seam_webhook_id"
CONF_WEBHOOK_SECRET: Final = "webhook_secret"  # noqa: S105 (a key name)

SALTO_KS_PROVIDER: Final = "salto_ks"

# The Seam events the integration asks its webhook for (the one place they are listed). Names,
# not wildcards: the spec lists event types (components.schemas.event) and says nothing of
# patterns, and Seam's fake server refuses "lock.*". Polls read the same types from events/list.
# Newer Seam events (access_code.issued, failed_to_issue, delay_in_issuing, failed_to_update,
# failed_to_expire) are not in the spec in use (@seamapi/types 1.977.0), so they cannot be
# asked for; they are handled like every access_code.* event if they arrive.
WEBHOOK_EVENT_TYPES: Final = (
    "lock.locked",
    "lock.unlocked",
    "lock.access_denied",
    "device.connected",
    "device.disconnected",
    "device.added",
    "device.removed",
    "device.deleted",
    "device.low_battery",
    "device.battery_status_changed",
    "device.tampered",
    "device.salto.privacy_mode_activated",
    "device.salto.privacy_mode_deactivated",
    "access_code.created",
    "access_code.changed",
    "access_code.code_changed",
    "access_code.scheduled_on_device",
    "access_code.set_on_device",
    "access_code.failed_to_set_on_device",
    "access_code.removed_from_device",
    "access_code.deleted",
    "access_code.delay_in_setting_on_device",
    "access_code.failed_to_remove_from_device",
    "access_code.modified_external_to_seam",
    "access_code.deleted_external_to_seam",
    "connected_account.connected",
    "connected_account.disconnected",
    "connected_account.reauthorization_requested",
    "connected_account.completed_first_sync_after_reconnection",
)
