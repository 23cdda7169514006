"""Constants for the Seam integration."""

from typing import Final

DOMAIN: Final = "seam"

CONF_API_URL: Final = "api_url"
CONF_POLL_INTERVAL: Final = "poll_interval"

DEFAULT_POLL_INTERVAL: Final = 30
MIN_POLL_INTERVAL: Final = 10
MAX_POLL_INTERVAL: Final = 3600

SALTO_KS_PROVIDER: Final = "salto_ks"
