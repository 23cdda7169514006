"""calendar.demo_bookings: four bookings around the time Home Assistant started.

With the guest-code blueprint's default lead time (24 hours):
- "Ada Lovelace" checked in an hour ago and checks out tomorrow at 11:00: her code is created at
  the automation's next run, and its PIN sent as soon as Seam (the sandbox) assigns it;
- "Grace Hopper" checks in three hours after the start (within the lead time): her code is
  created at once too, and Salto KS assigns its PIN at check-in;
- "Alan Turing" arrives in three days (all-day booking): no code yet;
- "Katherine Johnson" checked out yesterday (all-day booking): no code.
"""

from datetime import date, datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.util import dt as dt_util


def demo_bookings(now: datetime) -> list[CalendarEvent]:
    """Return the bookings, relative to `now` (local time)."""
    today = now.date()
    hour = now.replace(minute=0, second=0, microsecond=0)
    tomorrow_11 = datetime.combine(today + timedelta(days=1), datetime.min.time(), now.tzinfo)
    tomorrow_11 = tomorrow_11.replace(hour=11)
    return [
        CalendarEvent(
            start=hour - timedelta(hours=1),
            end=tomorrow_11,
            summary="Ada Lovelace",
            description="Demo booking: checked in an hour ago.",
        ),
        CalendarEvent(
            start=hour + timedelta(hours=3),
            end=tomorrow_11 + timedelta(days=1),
            summary="Grace Hopper",
            description="Demo booking: checks in three hours after Home Assistant started.",
        ),
        CalendarEvent(
            start=today + timedelta(days=3),
            end=today + timedelta(days=5),
            summary="Alan Turing",
            description="Demo booking (all day): arrives in three days.",
        ),
        CalendarEvent(
            start=today - timedelta(days=3),
            end=today - timedelta(days=1),
            summary="Katherine Johnson",
            description="Demo booking (all day): checked out yesterday.",
        ),
    ]


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add calendar.demo_bookings."""
    async_add_entities([DemoBookingCalendar(demo_bookings(dt_util.now()))])


def _local(moment: datetime | date) -> datetime:
    if isinstance(moment, datetime):
        return dt_util.as_local(moment)
    return dt_util.start_of_local_day(moment)


class DemoBookingCalendar(CalendarEntity):
    """Fixed bookings; the state shows the one in progress."""

    _attr_name = "Demo bookings"
    _attr_unique_id = "seam_demo_bookings"

    def __init__(self, bookings: list[CalendarEvent]) -> None:
        """Keep the bookings."""
        self._bookings = bookings

    @property
    def event(self) -> CalendarEvent | None:
        """The booking in progress, or else the next one."""
        now = dt_util.now()
        upcoming = [b for b in self._bookings if _local(b.end) > now]
        return min(upcoming, key=lambda b: _local(b.start), default=None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the bookings overlapping the window."""
        return [
            b for b in self._bookings if _local(b.start) < end_date and _local(b.end) > start_date
        ]
