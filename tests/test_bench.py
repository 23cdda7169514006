"""The benchmark's quick CI variant (N = 50 locks): it asserts counts only, never times.

A poll costs ⌈N/500⌉ device-list requests, one events request and one lock's access codes, and a
poll in which nothing changed at Seam writes no state at all. The full benchmark is
``scripts/bench`` (tests/bench.py).
"""

import math

from homeassistant.components.lock.const import LockState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from tests.bench import (
    DEVICES_ROUTE,
    EVENTS_ROUTE,
    PAGE_SIZE,
    StateWriteCounter,
    lock_entities,
    measure_poll,
    read_all_access_codes,
    seed_locks,
    setup_entry,
)
from tests.sandbox import Sandbox

N = 50
ENABLED_ENTITIES_PER_LOCK = 6


async def test_poll_request_and_write_counts(
    hass: HomeAssistant, sandbox: Sandbox, mock_config_entry: MockConfigEntry
) -> None:
    """Each lock's entities; unchanged polls: the expected requests, no writes; one changed lock:
    one state change."""
    device_ids = await seed_locks(sandbox, N)
    # With a door sensor each (the sandbox's opt-in assumption for Salto KS locks): the most
    # entities a lock has.
    await sandbox.set_config(salto_door_open=True)
    with StateWriteCounter(hass) as counter:
        setup = await setup_entry(hass, mock_config_entry, counter)
        # Lock, battery, door, problem, activity and access codes (connectivity is disabled by
        # default).
        assert setup.entities == ENABLED_ENTITIES_PER_LOCK * N
        assert setup.lock_entities == N
        locks = lock_entities(hass)
        assert sorted(locks) == sorted(device_ids)
        coordinator = mock_config_entry.runtime_data
        await read_all_access_codes(coordinator)
        await hass.async_block_till_done()

        unchanged = [await measure_poll(hass, coordinator, sandbox, counter) for _ in range(2)]
        changed_lock = device_ids[0]
        await sandbox.update_device(changed_lock, properties={"locked": False})
        changed = await measure_poll(hass, coordinator, sandbox, counter)

    expected_requests = {
        DEVICES_ROUTE: math.ceil(N / PAGE_SIZE),
        EVENTS_ROUTE: 1,
        "/access_codes/list": 1,
    }
    for poll in unchanged:
        assert poll.requests == expected_requests
        assert poll.state_writes == 0
        assert poll.state_changes == 0
    assert changed.requests == expected_requests
    assert changed.changed_entity_ids == (locks[changed_lock],)
    state = hass.states.get(locks[changed_lock])
    assert state is not None
    assert state.state == LockState.UNLOCKED
