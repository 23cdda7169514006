"""How Seam client errors become translated Home Assistant errors (one table for the integration).

The client (``seam_api``) raises its own exceptions and knows nothing of Home Assistant; this
module is the one place that turns them into what users see. ``ERROR_KEYS`` maps each client
exception class to the translation key of its message (strings.json, ``exceptions``):

- ``action_error`` for the lock and the access code actions: a translated
  ``HomeAssistantError`` naming the lock; a rejected API key (401) also starts
  re-authentication, as a failed poll does;
- ``update_error`` for the coordinator: ``ConfigEntryAuthFailed`` for a rejected key (the
  coordinator then starts re-authentication), else ``UpdateFailed`` (with Seam's
  ``Retry-After`` on a 429).

Every message carries Seam's request ID when Seam sent one, for a support request to Seam.
Bad input found before anything is sent to Seam is a ``ServiceValidationError`` (``invalid``).
"""

from typing import TYPE_CHECKING, Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN
from .seam_api import (
    SeamActionAttemptError,
    SeamActionAttemptTimeoutError,
    SeamAuthError,
    SeamConnectionError,
    SeamError,
    SeamInvalidInputError,
    SeamNotFoundError,
    SeamRateLimitError,
)

if TYPE_CHECKING:
    from .coordinator import SeamCoordinator

# Client exception class -> translation key (the first matching row wins).
ERROR_KEYS: Final[tuple[tuple[type[SeamError], str], ...]] = (
    (SeamAuthError, "auth_failed"),
    (SeamRateLimitError, "rate_limited"),
    (SeamActionAttemptError, "action_attempt_failed"),
    (SeamActionAttemptTimeoutError, "action_attempt_timeout"),
    (SeamInvalidInputError, "seam_invalid_input"),
    (SeamNotFoundError, "seam_not_found"),
    (SeamConnectionError, "seam_unavailable"),
)
# Any other client error.
DEFAULT_ERROR_KEY: Final = "seam_failed"


def describe(err: SeamError) -> str:
    """Return Seam's reason, with the request ID Seam support asks for (when Seam sent one)."""
    if err.request_id:
        return f"{err} (Seam request ID {err.request_id})"
    return str(err)


def error_key(err: SeamError) -> str:
    """Return the translation key of a client error's message."""
    return next((key for cls, key in ERROR_KEYS if isinstance(err, cls)), DEFAULT_ERROR_KEY)


def action_error(coordinator: SeamCoordinator, err: SeamError, lock: str) -> HomeAssistantError:
    """Return the error an action on ``lock`` raises for a client error; a 401 starts reauth."""
    if isinstance(err, SeamAuthError):
        coordinator.config_entry.async_start_reauth(coordinator.hass)
    return failed(error_key(err), lock=lock, error=describe(err))


def update_error(err: SeamError) -> ConfigEntryAuthFailed | UpdateFailed:
    """Return the error a failed poll raises for a client error (401: reauth; 429: back off)."""
    if isinstance(err, SeamAuthError):
        return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key=error_key(err))
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="update_failed",
        translation_placeholders={"error": describe(err)},
        retry_after=err.retry_after if isinstance(err, SeamRateLimitError) else None,
    )


def invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated error for bad input (nothing was sent to Seam)."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def failed(key: str, **placeholders: str) -> HomeAssistantError:
    """Return a translated error for something that failed at Seam or at the lock."""
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
