"""A small async client for the Seam HTTP API (no Home Assistant imports).

It runs on an injected ``aiohttp.ClientSession`` and could be published as a library unchanged:
``client`` sends the requests, ``models`` parses the answers, ``errors`` holds the exceptions.
"""

from .client import (
    ACTION_STATUS_ERROR,
    ACTION_STATUS_SUCCESS,
    DEFAULT_API_URL,
    EVENTS_LIMIT,
    PAGE_SIZE,
    EventsRead,
    SeamClient,
)
from .errors import (
    SeamActionAttemptError,
    SeamActionAttemptTimeoutError,
    SeamAuthError,
    SeamConflictError,
    SeamConnectionError,
    SeamError,
    SeamInvalidInputError,
    SeamNotFoundError,
    SeamRateLimitError,
    SeamResponseError,
)
from .models import (
    AccessCode,
    ActionAttempt,
    ConnectedAccount,
    ConnectWebview,
    Device,
    Event,
    SeamIssue,
    Webhook,
    Workspace,
)
from .webhooks import Rejection, WebhookVerificationError, WebhookVerifier

__all__ = [
    "ACTION_STATUS_ERROR",
    "ACTION_STATUS_SUCCESS",
    "DEFAULT_API_URL",
    "EVENTS_LIMIT",
    "PAGE_SIZE",
    "AccessCode",
    "ActionAttempt",
    "ConnectWebview",
    "ConnectedAccount",
    "Device",
    "Event",
    "EventsRead",
    "Rejection",
    "SeamActionAttemptError",
    "SeamActionAttemptTimeoutError",
    "SeamAuthError",
    "SeamClient",
    "SeamConflictError",
    "SeamConnectionError",
    "SeamError",
    "SeamInvalidInputError",
    "SeamIssue",
    "SeamNotFoundError",
    "SeamRateLimitError",
    "SeamResponseError",
    "Webhook",
    "WebhookVerificationError",
    "WebhookVerifier",
    "Workspace",
]
