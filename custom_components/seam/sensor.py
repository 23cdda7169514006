"""Seam lock sensors: battery level, and the lock's access codes (never their PINs)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import SeamConfigEntry, SeamCoordinator
from .entity import SeamEntity, async_setup_lock_entities
from .seam_api import AccessCode, Device

# Entities only read the coordinator's data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SeamSensorEntityDescription(SensorEntityDescription):
    """Describes a Seam sensor."""

    value_fn: Callable[[Device], StateType]


def _battery_percent(device: Device) -> int | None:
    """Seam's battery level (0..1) as a whole percentage (unknown when Seam reports none)."""
    level = device.battery_level
    return None if level is None else round(level * 100)


DESCRIPTIONS: tuple[SeamSensorEntityDescription, ...] = (
    SeamSensorEntityDescription(
        key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_battery_percent,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SeamConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of each Seam lock, now and for locks that appear later."""

    def _sensors(coordinator: SeamCoordinator, device_id: str) -> list[SeamEntity]:
        sensors: list[SeamEntity] = [
            SeamSensor(coordinator, device_id, description) for description in DESCRIPTIONS
        ]
        if coordinator.data[device_id].supports_access_codes:
            sensors.append(SeamAccessCodesSensor(coordinator, device_id))
        return sensors

    async_setup_lock_entities(entry, async_add_entities, _sensors)


class SeamSensor(SeamEntity, SensorEntity):
    """A sensor of a Seam lock."""

    entity_description: SeamSensorEntityDescription

    def __init__(
        self,
        coordinator: SeamCoordinator,
        device_id: str,
        description: SeamSensorEntityDescription,
    ) -> None:
        """Initialize the sensor."""
        self.entity_description = description
        super().__init__(coordinator, device_id, description.key)

    @property
    @override
    def native_value(self) -> StateType:
        """The sensor's value."""
        return self.entity_description.value_fn(self.device)


ATTR_ACCESS_CODES = "access_codes"
ATTR_READ_AT = "read_at"

ACCESS_CODES_DESCRIPTION = SensorEntityDescription(
    key="access_codes",
    translation_key="access_codes",
    entity_category=EntityCategory.DIAGNOSTIC,
)


class SeamAccessCodesSensor(SeamEntity, RestoreSensor):
    """The number of access codes on a lock; attribute ``access_codes`` describes each.

    Never a PIN: each code's ID, name, type, status, start, end and whether it waits for its
    PIN; ``read_at`` says when the read that found them as shown was made (reads that find
    them unchanged write nothing). After a restart it shows what it last showed (restored, with
    that ``read_at``) until the lock's codes are read again (see access_codes.py).
    """

    entity_description = ACCESS_CODES_DESCRIPTION
    # Guests' names and schedules: current state only, not kept in the history database.
    _unrecorded_attributes = frozenset({ATTR_ACCESS_CODES, ATTR_READ_AT})
    _shown_available = False
    # The restored value and attributes (until the lock's codes are read), and when the codes
    # shown were read.
    _restored: tuple[int | None, dict[str, Any]] = (None, {})
    _read_at: str | None = None

    def __init__(self, coordinator: SeamCoordinator, device_id: str) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, device_id, ACCESS_CODES_DESCRIPTION.key)

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the last value; update when an action, a push or a poll reads the codes."""
        await super().async_added_to_hass()
        if (
            self.device_id not in self.coordinator.access_codes
            and (last := await self.async_get_last_sensor_data()) is not None
            and isinstance(last.native_value, int)
            and (state := await self.async_get_last_state()) is not None
        ):
            self._restored = (
                last.native_value,
                {
                    key: state.attributes.get(key)
                    for key in (ATTR_ACCESS_CODES, ATTR_READ_AT)
                    if key in state.attributes
                },
            )
        self._shown_available = self.available
        self._async_codes_changed(write=False)
        self.async_on_remove(
            self.coordinator.async_add_access_codes_listener(
                self.device_id, self._async_codes_changed
            )
        )

    @callback
    def _async_codes_changed(self, write: bool = True) -> None:
        """Show the lock's codes as read now."""
        if (read_at := self.coordinator.codes.read_at.get(self.device_id)) is not None:
            self._read_at = read_at.isoformat()
        if write:
            self.async_write_ha_state()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write on a change of the lock itself only when the availability changed."""
        if self.available != self._shown_available:
            self._shown_available = self.available
            self.async_write_ha_state()

    @property
    @override
    def native_value(self) -> int | None:
        """How many codes the lock has."""
        codes = self.coordinator.access_codes.get(self.device_id)
        return self._restored[0] if codes is None else len(codes)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Each code without its PIN, and when they were read."""
        codes = self.coordinator.access_codes.get(self.device_id)
        if codes is None:
            return {ATTR_ACCESS_CODES: [], **self._restored[1]}
        return {
            ATTR_ACCESS_CODES: [_describe(access_code) for access_code in codes],
            ATTR_READ_AT: self._read_at,
        }


def _describe(access_code: AccessCode) -> dict[str, Any]:
    """Describe an access code as the sensor shows it: everything but the PIN."""
    return {
        "access_code_id": access_code.access_code_id,
        "name": access_code.name,
        "type": access_code.type,
        "status": access_code.status,
        "starts_at": access_code.starts_at.isoformat() if access_code.starts_at else None,
        "ends_at": access_code.ends_at.isoformat() if access_code.ends_at else None,
        "waiting_for_pin": access_code.code is None,
    }
