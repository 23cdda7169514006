"""Performance benchmark: the integration at N Salto locks against the floor and the official SDK.

Run it with ``scripts/bench`` (``python -m tests.bench``): ``--n 100,1000,5000 --rounds 5 --json``.

Everything is measured through public behaviour, in one process and one event loop (Home
Assistant's own, ``runner.create_event_loop``), each round on a fresh Home Assistant:

* a real Home Assistant core (phcc's ``async_test_home_assistant``, storage in memory) sets up a
  config entry for the local Seam sandbox (``tests/sandbox.py``) holding exactly N Salto locks;
* ``setup_s``: from ``hass.config_entries.async_setup`` until the entry's last entity first had
  a state. Home Assistant adds at most 10,000 enabled entities per config entry; the figures say
  how many were created (``entities_created``, ``entity_limit_reached``);
* per poll (``await coordinator.async_refresh()``, nothing changed at the sandbox): wall time,
  event-loop CPU (``time.thread_time()`` of the loop thread around the await), API requests (the
  sandbox's per-route counters) and state writes (``Entity._async_write_ha_state`` calls, no-op
  writes included) plus ``state_changed`` events; then one poll after one lock changed;
* the floor: the same device pages (``limit=500``, ``page_cursor``) with plain aiohttp and
  ``json.loads``; the official SDK: ``AsyncSeam.create_paginator(devices.list)`` flattened.
  Polls, floor, SDK and ``SeamClient.list_devices`` alternate in rotating order, each after a
  young-generation collection, so none is billed for another's garbage; a full collection
  after setup keeps setup's objects out of the polls (steady state);
* memory per lock: ``tracemalloc``'s traced Python heap added by one more setup, over N (untimed,
  since tracing slows everything down);
* lock command -> state: from the ``lock.lock``/``lock.unlock`` service call (``blocking``) until
  the entity shows the new state. The sandbox settles the action attempt at once but, like Seam,
  first answers ``pending``; the client sees ``success`` on its first status poll, 0.5 s later.
* ``lock_many_s`` (once per run, not per N): one blocking ``lock.lock`` call on M = 1, 10, 100
  locks (``--lock-many``) with the sandbox's action attempts taking 2 s, as Salto KS attempts
  take seconds; ``lock_many_vs_one`` is M locks' time over one lock's (target ≤ 1.5: locks run
  side by side).

The quick CI variant is ``tests/test_bench.py``; it reuses ``seed_locks``, ``StateWriteCounter``,
``lock_entities`` and ``measure_poll`` from here.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
import gc
import json
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp import web
from aiohttp.resolver import AsyncResolver
from homeassistant import loader, runner
from homeassistant.components.lock.const import LockState
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, EVENT_STATE_CHANGED, __version__ as ha_version
import homeassistant.core as ha
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    frame,
    translation,
)
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_test_home_assistant,
    mock_storage,
)

from custom_components.seam.const import CONF_API_URL, DOMAIN
from tests.sandbox import Sandbox

_LOGGER = logging.getLogger(__name__)

PAGE_SIZE = 500
DEVICES_ROUTE = "/devices/list"
EVENTS_ROUTE = "/events/list"
POLLS_PER_ROUND = 4  # one per position of the rotation
SANDBOX_KEEPALIVE_S = 5.0  # sandbox/lib/main.mjs: server.keepAliveTimeout

# Targets from issue 8.
TARGET_CPU_VS_FLOOR = 1.2
TARGET_CPU_VS_SDK = 0.5
TARGET_SETUP_S_AT_1000 = 1.5  # issue #18: setup until all entities exist
TARGET_LOCK_TO_STATE_S = 1.0
# Issue 13: one lock.lock call on many locks, with 2 s action attempts.
LOCK_MANY_ATTEMPT_DELAY_S = 2.0
TARGET_LOCK_MANY_VS_ONE = 1.5


def expected_requests_per_poll(n: int) -> int:
    """⌈N/500⌉ device-list pages, one events request and one lock's access codes."""
    return math.ceil(n / PAGE_SIZE) + 2


async def read_all_access_codes(coordinator: Any) -> None:
    """Give every lock's access codes sensor its codes, as a full rotation of polls would.

    A poll reads one lock's codes, so for the first N polls after setup each poll shows one
    lock's codes for the first time (a state change). Reading them all first, 50 at a time,
    measures the steady state without N polls.
    """
    device_ids = [
        device_id for device_id, device in coordinator.data.items() if device.supports_access_codes
    ]
    for start in range(0, len(device_ids), 50):
        chunk = device_ids[start : start + 50]
        results = await asyncio.gather(
            *(coordinator.client.list_access_codes(device_id) for device_id in chunk)
        )
        for device_id, codes in zip(chunk, results, strict=True):
            coordinator.async_set_access_codes(device_id, codes)


# ------------------------------------------------------------------------------------------------
# Building blocks (also used by tests/test_bench.py)
# ------------------------------------------------------------------------------------------------


async def seed_locks(sandbox: Sandbox, n: int) -> list[str]:
    """Reset the sandbox and leave exactly ``n`` Salto locks in its workspace; return their ids."""
    state = await sandbox.reset()
    async with aiohttp.ClientSession() as session:
        seeded = await list_device_ids(session, sandbox)
        for device_id in seeded:
            await sandbox.remove_device(device_id, session=session)
        device_ids = await sandbox.add_devices(n, session=session) if n else []
        await sandbox.reset_requests(session=session)
    _LOGGER.debug("Seeded workspace %s with %d locks", state.get("workspace_id"), n)
    return device_ids


def make_config_entry(sandbox: Sandbox, workspace_id: str) -> MockConfigEntry:
    """A config entry for the sandbox workspace; polling is off (the bench polls by itself)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Seam sandbox (bench)",
        unique_id=workspace_id,
        data={CONF_API_KEY: sandbox.api_key, CONF_API_URL: sandbox.url},
        minor_version=2,
        pref_disable_polling=True,
    )


class StateWriteCounter:
    """Counts state writes of Seam entities and ``state_changed`` events.

    ``writes`` counts every ``Entity._async_write_ha_state`` call of a Seam entity, including
    writes that leave the state machine unchanged (they still cost CPU); ``changes`` counts the
    ``state_changed`` events of Seam entities. Use as a context manager (it patches ``Entity``).
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Prepare the counter (nothing is patched until it is entered)."""
        self.hass = hass
        self.writes = 0
        self.changes = 0
        self.changed_entity_ids: list[str] = []
        self.new_entities = 0
        self.last_new_entity_at = 0.0
        self._watchers: list[Callable[[Event[EventStateChangedData]], None]] = []
        self._stack = contextlib.ExitStack()

    def reset(self) -> None:
        """Forget what was counted so far."""
        self.writes = self.changes = 0
        self.changed_entity_ids.clear()

    def __enter__(self) -> StateWriteCounter:
        """Patch ``Entity._async_write_ha_state`` and listen to ``state_changed``."""
        original = Entity._async_write_ha_state
        counter = self

        def counting_write(entity: Entity) -> None:
            if entity.platform is not None and entity.platform.platform_name == DOMAIN:
                counter.writes += 1
            original(entity)

        self._stack.enter_context(patch.object(Entity, "_async_write_ha_state", counting_write))
        self._stack.callback(
            self.hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_state_changed)
        )
        return self

    def __exit__(self, *exc: object) -> None:
        """Undo the patch and the listener."""
        self._stack.close()

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        entry = er.async_get(self.hass).async_get(entity_id)
        if entry is None or entry.platform != DOMAIN:
            return
        self.changes += 1
        self.changed_entity_ids.append(entity_id)
        if event.data["old_state"] is None:
            self.new_entities += 1
            self.last_new_entity_at = time.perf_counter()
        for watcher in list(self._watchers):
            watcher(event)

    @contextlib.contextmanager
    def watch(self, watcher: Callable[[Event[EventStateChangedData]], None]) -> Iterator[None]:
        """Call ``watcher`` for each state change of a Seam entity while in the block."""
        self._watchers.append(watcher)
        try:
            yield
        finally:
            self._watchers.remove(watcher)


@dataclass(frozen=True, slots=True, kw_only=True)
class PollSample:
    """One measured poll."""

    wall_s: float
    cpu_s: float
    requests: dict[str, int]
    state_writes: int
    state_changes: int
    changed_entity_ids: tuple[str, ...]

    @property
    def total_requests(self) -> int:
        """API requests of the poll, all routes."""
        return sum(self.requests.values())


async def measure_poll(
    hass: HomeAssistant,
    coordinator: DataUpdateCoordinator[Any],
    sandbox: Sandbox,
    counter: StateWriteCounter,
    *,
    session: aiohttp.ClientSession | None = None,
) -> PollSample:
    """Run one coordinator refresh and measure it (CPU of the loop thread around the await).

    ``session`` (optional) is used for the sandbox's request counters.
    """
    await hass.async_block_till_done()
    await sandbox.reset_requests(session=session)
    counter.reset()
    gc.collect(0)  # as in timed(): the poll pays only for the garbage it makes itself
    wall0, cpu0 = time.perf_counter(), time.thread_time()
    await coordinator.async_refresh()
    cpu1, wall1 = time.thread_time(), time.perf_counter()
    await hass.async_block_till_done()
    if not coordinator.last_update_success:
        raise RuntimeError(f"poll failed: {coordinator.last_exception!r}")
    return PollSample(
        wall_s=wall1 - wall0,
        cpu_s=cpu1 - cpu0,
        requests=await sandbox.requests(session=session),
        state_writes=counter.writes,
        state_changes=counter.changes,
        changed_entity_ids=tuple(counter.changed_entity_ids),
    )


async def list_device_ids(session: aiohttp.ClientSession, sandbox: Sandbox) -> list[str]:
    """Every device id of the sandbox workspace (plain aiohttp, all pages)."""
    return [device["device_id"] for device in await fetch_floor(session, sandbox)]


async def fetch_floor(session: aiohttp.ClientSession, sandbox: Sandbox) -> list[dict[str, Any]]:
    """The floor: device pages with plain aiohttp and ``json.loads``, nothing else."""
    url = f"{sandbox.url}/devices/list"
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    body: dict[str, Any] = {"limit": PAGE_SIZE}
    devices: list[dict[str, Any]] = []
    while True:
        async with session.post(url, json=body, headers=headers) as response:
            response.raise_for_status()
            data = json.loads(await response.read())
        devices.extend(data["devices"])
        pagination = data.get("pagination") or {}
        if not pagination.get("has_next_page"):
            return devices
        body = {"limit": PAGE_SIZE, "page_cursor": pagination["next_page_cursor"]}


async def fetch_sdk(seam: Any) -> list[Any]:
    """The official SDK: its paginator over ``devices.list`` (500 per page), flattened."""
    paginator = seam.create_paginator(seam.devices.list, {"limit": PAGE_SIZE})
    devices: list[Any] = await paginator.flatten_to_list()
    return devices


@dataclass(frozen=True, slots=True)
class Timed:
    """Wall and loop-thread CPU seconds of one awaited call."""

    wall_s: float
    cpu_s: float


async def timed(make: Callable[[], Any], expect: int) -> Timed:
    """Await ``make()``, measuring wall and loop-thread CPU; check it returned ``expect`` items.

    A young-generation collection first: each measured call then pays for the collections its
    own allocations trigger, not for garbage left by whatever ran before it. What it returns is
    released inside the measurement, as a poll releases the pages it decoded.
    """
    gc.collect(0)
    wall0, cpu0 = time.perf_counter(), time.thread_time()
    count = len(await make())
    cpu1, wall1 = time.thread_time(), time.perf_counter()
    if count != expect:
        raise RuntimeError(f"expected {expect} devices, got {count}")
    return Timed(wall1 - wall0, cpu1 - cpu0)


# ------------------------------------------------------------------------------------------------
# Home Assistant in-process
# ------------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_hass(config_dir: str) -> AsyncIterator[HomeAssistant]:
    """A Home Assistant core set up as phcc's ``hass`` fixture does, custom integrations on."""
    resolver = AsyncResolver()
    resolver.real_close = resolver.close  # type: ignore[attr-defined]
    with (
        patch(  # as phcc's mock_zeroconf_resolver fixture: no zeroconf for a loopback sandbox
            "homeassistant.helpers.aiohttp_client._async_make_resolver", return_value=resolver
        ),
        # Storage in memory, a fresh one each time: no registry entries of an earlier round, and
        # the mock's call records (which hold every Store, so every earlier Home Assistant) go.
        mock_storage(),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            # As phcc's enable_custom_integrations fixture: the loader scans custom_components/.
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            frame.async_setup(hass)
            await translation.async_load_integrations(hass, {ha.DOMAIN})
            try:
                yield hass
            finally:
                for entry in hass.config_entries.async_entries():
                    if entry.state is ConfigEntryState.LOADED:
                        await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_stop(force=True)


@dataclass(frozen=True, slots=True)
class SetupResult:
    """How long the setup took and what it created."""

    seconds: float
    entities: int
    lock_entities: int


async def setup_entry(
    hass: HomeAssistant, entry: MockConfigEntry, counter: StateWriteCounter
) -> SetupResult:
    """Set the entry up; seconds until its last entity first had a state.

    Home Assistant adds at most 10,000 enabled entities per config entry
    (``MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY``); beyond that it logs a warning and adds no
    more, so ``entities`` tells what was really created.
    """
    entry.add_to_hass(hass)
    counter.new_entities = 0
    # Earlier rounds' Home Assistants are garbage by now (reference cycles): collect them first,
    # so that this setup is not billed for their collection (as the polls are not for setup's).
    gc.collect()
    started = time.perf_counter()
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise RuntimeError(f"setup failed: {entry.state} {entry.reason}")
    await hass.async_block_till_done()
    return SetupResult(
        seconds=counter.last_new_entity_at - started,
        entities=counter.new_entities,
        lock_entities=len(lock_entities(hass)),
    )


def lock_entities(hass: HomeAssistant) -> dict[str, str]:
    """Seam device id -> entity id of its lock entity, for locks that have a state."""
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    result: dict[str, str] = {}
    for entity_id in hass.states.async_entity_ids("lock"):
        entry = entities.async_get(entity_id)
        if entry is None or entry.platform != DOMAIN or entry.device_id is None:
            continue
        if (device := devices.async_get(entry.device_id)) is None:
            continue
        for domain, identifier in device.identifiers:
            if domain == DOMAIN:
                result[identifier] = entity_id
    return result


async def lock_command_to_state(
    hass: HomeAssistant, counter: StateWriteCounter, entity_id: str
) -> tuple[float, float]:
    """Lock (or unlock, if locked) via the service; (seconds to the new state, call seconds)."""
    current = hass.states.get(entity_id)
    if current is None:
        raise RuntimeError(f"{entity_id} has no state")
    service, target = (
        ("unlock", LockState.UNLOCKED)
        if current.state == LockState.LOCKED
        else ("lock", LockState.LOCKED)
    )
    reached: asyncio.Future[float] = hass.loop.create_future()

    @callback
    def on_change(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if (
            event.data["entity_id"] == entity_id
            and new
            and new.state == target
            and not reached.done()
        ):
            reached.set_result(time.perf_counter())

    with counter.watch(on_change):
        started = time.perf_counter()
        await hass.services.async_call("lock", service, {"entity_id": entity_id}, blocking=True)
        finished = time.perf_counter()
        reached_at = await asyncio.wait_for(reached, 10)
    return reached_at - started, finished - started


async def bench_lock_many(
    sizes: Sequence[int], sandbox: Sandbox, config_dir: str
) -> dict[str, Any]:
    """One blocking lock.lock call on M locks (M = 1 and each size), 2 s action attempts."""
    seconds: dict[str, float] = {}
    for m in sorted({1, *sizes}):
        _progress(f"lock_many: one lock.lock call on {m} locks")
        await seed_locks(sandbox, m)
        workspace_id: str = (await sandbox.state())["workspace_id"]
        await sandbox.set_config(action_attempt_delay_s=LOCK_MANY_ATTEMPT_DELAY_S)
        async with running_hass(config_dir) as hass:
            with StateWriteCounter(hass) as counter:
                await setup_entry(hass, make_config_entry(sandbox, workspace_id), counter)
            targets = sorted(lock_entities(hass).values())
            if len(targets) != m:
                raise RuntimeError(f"expected {m} lock entities, found {len(targets)}")
            started = time.perf_counter()
            await hass.services.async_call("lock", "lock", {"entity_id": targets}, blocking=True)
            seconds[str(m)] = time.perf_counter() - started
            states = [hass.states.get(target) for target in targets]
            if any(state is None or state.state != LockState.LOCKED for state in states):
                raise RuntimeError("not every lock is locked")
    one = seconds["1"]
    ratios = {m: value / one for m, value in seconds.items() if m != "1"}
    return {
        "action_attempt_delay_s": LOCK_MANY_ATTEMPT_DELAY_S,
        "lock_many_s": seconds,
        "lock_many_vs_one": ratios,
        "targets": {
            f"lock_many_{m}_vs_one": ratio <= TARGET_LOCK_MANY_VS_ONE for m, ratio in ratios.items()
        },
    }


def render_lock_many(lock_many: dict[str, Any]) -> str:
    """A Markdown table: one lock.lock call on M locks."""
    sizes = list(lock_many["lock_many_s"])
    delay = lock_many["action_attempt_delay_s"]
    lines = [
        "| "
        + " | ".join([f"One `lock.lock` call, {delay:g} s attempts", *(f"M = {m}" for m in sizes)])
        + " |",
        "|" + "|".join([":---", *("---:" for _ in sizes)]) + "|",
        "| Call time (`lock_many_s`) | "
        + " | ".join(f"{lock_many['lock_many_s'][m]:.2f} s" for m in sizes)
        + " |",
        "| Call time / one lock's (target ≤ 1.5) | "
        + " | ".join(
            "1.00x" if m == "1" else f"{lock_many['lock_many_vs_one'][m]:.2f}x" for m in sizes
        )
        + " |",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Push (Seam webhooks)
# ------------------------------------------------------------------------------------------------

PUSH_CHANGES = 24  # door changes timed one by one (issue 12: >= 20)
BURST_DELIVERIES = 1000
BURST_SECONDS = 10.0
TARGET_PUSH_TO_STATE_S = 0.2
CARD_CHANGES = 8  # code status changes timed one by one for card_update_s
TARGET_CARD_UPDATE_S = 0.5
TARGET_REQUESTS_PER_HOUR_IDLE = 20


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


@contextlib.asynccontextmanager
async def webhook_endpoint(hass: HomeAssistant) -> AsyncIterator[str]:
    """Serve Home Assistant's HTTP app (with the webhook integration) on a loopback port.

    As phcc does, Home Assistant's own server start is patched out (it would bind 0.0.0.0:8123);
    the app is served by an aiohttp runner on 127.0.0.1 instead, and set as the internal URL: the
    sandbox, a Seam test server on loopback, delivers there.
    """
    with (
        patch("homeassistant.components.http.HomeAssistantHTTP.async_bind"),
        patch("homeassistant.components.http.HomeAssistantHTTP.start"),
    ):
        assert await async_setup_component(hass, "http", {})
        assert await async_setup_component(hass, "webhook", {})
        # Seam's own routes (websocket commands, the card's file) before the router freezes.
        assert await async_setup_component(hass, DOMAIN, {})
    app_runner = web.AppRunner(hass.http.app)
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    port = app_runner.addresses[0][1]
    await hass.config.async_update(internal_url=f"http://127.0.0.1:{port}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await app_runner.cleanup()


async def _deliveries(sandbox: Sandbox) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = (await sandbox.webhook_deliveries())["deliveries"]
    return result


async def bench_card_update(
    hass: HomeAssistant, sandbox: Sandbox, base_url: str, coordinator: Any, device_id: str
) -> list[float]:
    """A code's status change at the sandbox until the card's subscription shows it, by push.

    Over Home Assistant's websocket API, as the card sees it (``seam/access_codes/subscribe``):
    for each of ``CARD_CHANGES`` Salto KS codes four days apart (no PIN yet), the timer starts
    before the sandbox's clock moves four days on (Salto assigns the next code's PIN: at its
    start, or up to 72 h before) and stops when the subscription shows that code with its PIN.
    """
    user = await hass.auth.async_create_user("bench", group_ids=["system-admin"])
    refresh = await hass.auth.async_create_refresh_token(
        user, client_name="bench", token_type="long_lived_access_token"
    )
    token = hass.auth.async_create_access_token(refresh)
    entity_id = lock_entities(hass)[device_id]
    now = dt_util.utcnow()
    codes = [
        await coordinator.client.create_access_code(
            device_id,
            f"Card {index}",
            starts_at=now + timedelta(days=4 * (index + 1), minutes=-1),
            ends_at=now + timedelta(days=4 * index + 60),
        )
        for index in range(CARD_CHANGES)
    ]
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{base_url}/api/websocket") as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json(
            {"id": 1, "type": "seam/access_codes/subscribe", "entity_ids": [entity_id]}
        )
        assert (await ws.receive_json())["success"]

        async def shown(access_code_id: str, check: Callable[[dict[str, Any]], bool]) -> None:
            while True:
                event = (await ws.receive_json(timeout=30))["event"]
                for lock in event["locks"]:
                    for code in lock["codes"] or ():
                        if code["access_code_id"] == access_code_id and check(code):
                            return

        await shown(codes[-1].access_code_id, lambda code: code["state"] == "pin_pending")
        for code in codes:
            started = time.perf_counter()
            await sandbox.advance_clock(4 * 24 * 3600)
            await shown(code.access_code_id, lambda code: code["has_pin"])
            latencies.append(time.perf_counter() - started)
    return latencies


async def bench_push(
    n: int, sandbox: Sandbox, workspace_id: str, config_dir: str
) -> dict[str, Any]:
    """Push figures at N locks: door change -> state, idle requests per hour, 1,000 deliveries."""
    await seed_locks(sandbox, n)
    async with running_hass(config_dir) as hass, webhook_endpoint(hass) as base_url:
        entry = make_config_entry(sandbox, workspace_id)
        entry.add_to_hass(hass)
        if not await hass.config_entries.async_setup(entry.entry_id):
            raise RuntimeError(f"setup failed: {entry.state} {entry.reason}")
        await hass.async_block_till_done()
        coordinator = entry.runtime_data
        if not coordinator.push_healthy:
            raise RuntimeError(f"push is not working: {coordinator.push.status.as_dict()}")
        locks = sorted(lock_entities(hass).items())[: max(1, min(len(lock_entities(hass)), 8))]

        # Door change -> new state in hass.states, one change at a time.
        latencies: list[float] = []
        for index in range(PUSH_CHANGES):
            device_id, entity_id = locks[index % len(locks)]
            current = hass.states.get(entity_id)
            unlock = current is not None and current.state == LockState.LOCKED
            target = LockState.UNLOCKED if unlock else LockState.LOCKED
            reached: asyncio.Future[float] = hass.loop.create_future()

            @callback
            def on_change(
                event: Event[EventStateChangedData],
                entity_id: str = entity_id,
                target: str = target,
                reached: asyncio.Future[float] = reached,
            ) -> None:
                new = event.data["new_state"]
                if (
                    event.data["entity_id"] == entity_id
                    and new
                    and new.state == target
                    and not reached.done()
                ):
                    reached.set_result(time.perf_counter())

            remove = hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
            try:
                started = time.perf_counter()
                await sandbox.door(device_id, "unlock" if unlock else "lock")
                latencies.append(await asyncio.wait_for(reached, 10) - started)
            finally:
                remove()

        salto = next(d for d in sorted(coordinator.data) if coordinator.data[d].is_salto)
        card_latencies = await bench_card_update(hass, sandbox, base_url, coordinator, salto)

        # Idle: the requests of an hour of safety-net polls (push sends nothing; the polls read
        # the events and, in turn, access codes), once the polls after the start have read
        # every lock's access codes (one lock a poll).
        fill_polls = 0
        while len(coordinator.access_codes) < len(coordinator.data) and fill_polls <= n:
            await coordinator.async_refresh()
            fill_polls += 1
        interval = coordinator.update_interval
        assert interval is not None
        polls_per_hour = round(3600 / interval.total_seconds())
        await sandbox.reset_requests()
        for _ in range(polls_per_hour):
            await coordinator.async_refresh()
        requests_per_hour_idle = sum((await sandbox.requests()).values())
        per_poll = requests_per_hour_idle / polls_per_hour

        # 1,000 deliveries in 10 s, spread over every lock; the loop thread's CPU meanwhile.
        fired = 0

        @callback
        def on_activity(event: Event[EventStateChangedData]) -> None:
            nonlocal fired
            if event.data["entity_id"].startswith("event."):
                fired += 1

        accepted_before = coordinator.push.status.accepted
        delivered_before = len(await _deliveries(sandbox))
        remove = hass.bus.async_listen(EVENT_STATE_CHANGED, on_activity)
        gc.collect()
        cpu_started, wall_started = time.thread_time(), time.perf_counter()
        await sandbox.control(
            "devices/door/burst", {"count": BURST_DELIVERIES, "over_s": BURST_SECONDS}
        )
        deadline = wall_started + BURST_SECONDS + 30
        while coordinator.push.status.accepted - accepted_before < BURST_DELIVERIES:
            if time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.05)
        await hass.async_block_till_done()
        cpu = time.thread_time() - cpu_started
        wall = time.perf_counter() - wall_started
        remove()
        burst = (await _deliveries(sandbox))[delivered_before:]
        # What Seam (the sandbox) reports now, read with a separate client.
        seam_locked = {
            device.device_id: device.locked for device in await coordinator.client.list_devices()
        }
        states_match = all(
            (state := hass.states.get(entity_id)) is not None
            and (state.state == LockState.LOCKED) == seam_locked.get(device_id)
            for device_id, entity_id in lock_entities(hass).items()
        )
        accepted = coordinator.push.status.accepted - accepted_before
    return {
        "push_changes": len(latencies),
        "push_to_state_s": {"median": _median(latencies), "p95": _p95(latencies)},
        "card_update_s": {"median": _median(card_latencies), "p95": _p95(card_latencies)},
        "requests_per_hour_idle": requests_per_hour_idle,
        "access_codes_fill_polls": fill_polls,
        "poll_interval_with_push_s": interval.total_seconds(),
        "requests_per_idle_poll": per_poll,
        "burst": {
            "deliveries_sent": len(burst),
            "deliveries_ok": sum(1 for d in burst if d.get("ok")),
            "accepted": accepted,
            "activity_events_fired": fired,
            "lock_states_match_seam": states_match,
            "wall_s": wall,
            "loop_cpu_s": cpu,
            "loop_cpu_per_delivery_ms": cpu / max(accepted, 1) * 1e3,
        },
        "push_targets": {
            "push_to_state": _median(latencies) <= TARGET_PUSH_TO_STATE_S,
            "card_update": _median(card_latencies) <= TARGET_CARD_UPDATE_S,
            "requests_per_hour_idle": requests_per_hour_idle <= TARGET_REQUESTS_PER_HOUR_IDLE,
            "burst_all_applied": accepted == BURST_DELIVERIES and fired == BURST_DELIVERIES,
        },
    }


# ------------------------------------------------------------------------------------------------
# One N
# ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Samples:
    """Raw samples of one N, over every round."""

    setup_s: list[float] = field(default_factory=list)
    unchanged: list[PollSample] = field(default_factory=list)
    one_changed: list[PollSample] = field(default_factory=list)
    floor: list[Timed] = field(default_factory=list)
    sdk: list[Timed] = field(default_factory=list)
    client_fetch: list[Timed] = field(default_factory=list)
    lock_to_state_s: list[float] = field(default_factory=list)
    lock_call_s: list[float] = field(default_factory=list)
    entities: list[int] = field(default_factory=list)
    lock_entities: list[int] = field(default_factory=list)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


async def bench_round(
    *,
    n: int,
    sandbox: Sandbox,
    workspace_id: str,
    control: aiohttp.ClientSession,
    samples: Samples,
    config_dir: str,
    profile: bool,
) -> None:
    """One round: a fresh Home Assistant, setup, polls, floor/SDK fetches, one lock command."""
    from seam.seam import AsyncSeam

    async with running_hass(config_dir) as hass:
        with StateWriteCounter(hass) as counter:
            entry = make_config_entry(sandbox, workspace_id)
            setup_started = time.perf_counter()
            setup = await setup_entry(hass, entry, counter)
            samples.setup_s.append(setup.seconds)
            samples.entities.append(setup.entities)
            samples.lock_entities.append(setup.lock_entities)
            await outlast_keepalive(setup_started)
            coordinator = entry.runtime_data
            client = coordinator.client
            await read_all_access_codes(coordinator)
            await hass.async_block_till_done()
            # Steady state: the collector's catching up with setup's objects is not a poll's cost.
            gc.collect()
            async with (
                aiohttp.ClientSession() as floor_session,
                AsyncSeam(api_key=sandbox.api_key, endpoint=sandbox.url) as seam,
            ):
                await fetch_floor(floor_session, sandbox)  # connect first, as the others have
                await fetch_sdk(seam)

                # Nothing changes at the sandbox: every poll must write nothing, the first one
                # too. The floor and the SDK are measured between the polls, under the same
                # conditions, in rotating order.
                async def poll() -> None:
                    samples.unchanged.append(
                        await measure_poll(hass, coordinator, sandbox, counter, session=control)
                    )

                async def floor() -> None:
                    samples.floor.append(
                        await timed(lambda: fetch_floor(floor_session, sandbox), n)
                    )

                async def sdk() -> None:
                    samples.sdk.append(await timed(lambda: fetch_sdk(seam), n))

                async def client_fetch() -> None:
                    samples.client_fetch.append(await timed(client.list_devices, n))

                steps = [poll, floor, sdk, client_fetch]
                for index in range(POLLS_PER_ROUND):
                    shift = index % len(steps)
                    for step in steps[shift:] + steps[:shift]:
                        await step()

            if not (locks := lock_entities(hass)):
                return  # the entity cap left no lock entity (see setup_entry)
            # One lock changes at Seam: only that lock's state should change.
            lock_id, entity_id = min(locks.items())
            state = hass.states.get(entity_id)
            await sandbox.update_device(
                lock_id,
                session=control,
                properties={"locked": state is None or state.state != LockState.LOCKED},
            )
            samples.one_changed.append(
                await measure_poll(hass, coordinator, sandbox, counter, session=control)
            )

            if profile:
                await profile_poll(hass, coordinator, sandbox, counter)

            # Last: the lock command requests a refresh (and a debounced one after it).
            to_state, call = await lock_command_to_state(hass, counter, entity_id)
            samples.lock_to_state_s.append(to_state)
            samples.lock_call_s.append(call)


async def outlast_keepalive(idle_since: float) -> None:
    """Do not reuse a connection just as the sandbox closes it (its keep-alive timeout is 5 s).

    After a setup of several seconds, Home Assistant's pooled connection (last used by the first
    refresh) has been idle for about that long; a request sent while the server closes it fails
    with "Server disconnected". Waiting until the timeout has surely passed makes the next
    request open a fresh connection instead.
    """
    idle = time.perf_counter() - idle_since
    if SANDBOX_KEEPALIVE_S - 2 < idle < SANDBOX_KEEPALIVE_S + 1:
        await asyncio.sleep(SANDBOX_KEEPALIVE_S + 1 - idle)


async def memory_per_lock(n: int, sandbox: Sandbox, workspace_id: str, config_dir: str) -> float:
    """Python heap (tracemalloc) added by setting up N locks, per lock, in bytes."""
    async with running_hass(config_dir) as hass:
        with StateWriteCounter(hass) as counter:
            entry = make_config_entry(sandbox, workspace_id)
            gc.collect()
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                await setup_entry(hass, entry, counter)
                await hass.async_block_till_done()
                gc.collect()
                after = tracemalloc.get_traced_memory()[0]
            finally:
                tracemalloc.stop()
    return (after - before) / n


async def profile_poll(
    hass: HomeAssistant,
    coordinator: DataUpdateCoordinator[Any],
    sandbox: Sandbox,
    counter: StateWriteCounter,
) -> None:
    """Print a cProfile of one unchanged poll (top functions by own time) to stderr."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    await measure_poll(hass, coordinator, sandbox, counter)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    print(out.getvalue(), file=sys.stderr)


async def bench_n(
    n: int, rounds: int, sandbox: Sandbox, *, memory: bool = True, profile: bool = False
) -> dict[str, Any]:
    """Measure one N over ``rounds`` rounds and summarise (medians; counts as the maximum)."""
    await seed_locks(sandbox, n)
    workspace_id: str = (await sandbox.state())["workspace_id"]
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="seam-bench-") as config_dir:
        # Sandbox control requests: no keep-alive, so never a connection the server is closing.
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True)
        ) as control:
            for index in range(rounds):
                _progress(f"N={n}: round {index + 1}/{rounds}")
                await bench_round(
                    n=n,
                    sandbox=sandbox,
                    workspace_id=workspace_id,
                    control=control,
                    samples=samples,
                    config_dir=config_dir,
                    profile=profile and index == rounds - 1,
                )
        memory_bytes = None
        if memory:
            _progress(f"N={n}: memory (tracemalloc setup)")
            memory_bytes = await memory_per_lock(n, sandbox, workspace_id, config_dir)
        if min(samples.lock_entities) < n:
            # Home Assistant's entity cap left locks without entities: pushes to them show
            # nothing, so the push figures would measure the cap, not push.
            _progress(f"N={n}: push skipped (not every lock has its entities)")
            push = {
                "push_skipped": "entity cap: not every lock has its entities",
                "push_targets": {},
            }
        else:
            _progress(f"N={n}: push (webhook deliveries)")
            push = await bench_push(n, sandbox, workspace_id, config_dir)
    result = summarise(n, rounds, samples, memory_bytes)
    # Poll-only for comparison: 3600 / 30 s x the requests of one poll.
    result["requests_per_hour_idle_poll_only"] = 3600 / 30 * result["requests_per_poll"]
    result.update({key: value for key, value in push.items() if key != "push_targets"})
    result["targets"].update(push["push_targets"])
    return result


def _median_or_none(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(n: int, rounds: int, samples: Samples, memory_bytes: float | None) -> dict[str, Any]:
    """The per-N figures (see the module docstring), with the targets judged.

    Times are medians over every sample of every round; counts are the maximum seen.
    """
    poll_cpu = _median([s.cpu_s for s in samples.unchanged])
    floor_cpu = _median([t.cpu_s for t in samples.floor])
    sdk_cpu = _median([t.cpu_s for t in samples.sdk])
    requests = max(s.total_requests for s in samples.unchanged)
    writes_unchanged = max(s.state_writes for s in samples.unchanged)
    changes_unchanged = max(s.state_changes for s in samples.unchanged)
    setup = _median(samples.setup_s)
    lock_to_state = _median_or_none(samples.lock_to_state_s)
    entities = min(samples.entities)
    by_route: dict[str, int] = {}
    for sample in samples.unchanged:
        for route, count in sample.requests.items():
            by_route[route] = max(by_route.get(route, 0), count)
    changed = samples.one_changed
    result: dict[str, Any] = {
        "n": n,
        "rounds": rounds,
        "requests_per_poll": requests,
        "requests_per_poll_expected": expected_requests_per_poll(n),
        "requests_per_poll_by_route": by_route,
        "state_writes_unchanged_poll": writes_unchanged,
        "state_changes_unchanged_poll": changes_unchanged,
        "state_writes_one_lock_changed_poll": max((s.state_writes for s in changed), default=None),
        "state_changes_one_lock_changed_poll": max(
            (s.state_changes for s in changed), default=None
        ),
        "poll_wall_s": _median([s.wall_s for s in samples.unchanged]),
        "poll_loop_cpu_s": poll_cpu,
        "poll_loop_cpu_one_lock_changed_s": _median_or_none([s.cpu_s for s in changed]),
        "client_list_devices_cpu_s": _median([t.cpu_s for t in samples.client_fetch]),
        "floor_cpu_s": floor_cpu,
        "floor_wall_s": _median([t.wall_s for t in samples.floor]),
        "sdk_cpu_s": sdk_cpu,
        "sdk_wall_s": _median([t.wall_s for t in samples.sdk]),
        "poll_cpu_vs_floor": poll_cpu / floor_cpu,
        "poll_cpu_vs_sdk": poll_cpu / sdk_cpu,
        "poll_loop_cpu_per_lock_us": poll_cpu / n * 1e6,
        "entities_created": entities,
        "lock_entities_created": min(samples.lock_entities),
        "entity_limit_reached": entities >= MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY,
        "setup_s": setup,
        "setup_s_min": min(samples.setup_s),
        "setup_s_max": max(samples.setup_s),
        "setup_per_lock_ms": setup / n * 1e3,
        "memory_per_lock_bytes": memory_bytes,
        "memory_method": "tracemalloc: Python heap added by one setup, divided by N",
        "lock_to_state_s": lock_to_state,
        "lock_service_call_s": _median_or_none(samples.lock_call_s),
    }
    targets: dict[str, bool] = {
        "requests_per_poll": requests == expected_requests_per_poll(n),
        "cpu_vs_floor": poll_cpu <= TARGET_CPU_VS_FLOOR * floor_cpu,
        "cpu_vs_sdk": poll_cpu <= TARGET_CPU_VS_SDK * sdk_cpu,
        "zero_writes_unchanged_poll": writes_unchanged == 0 and changes_unchanged == 0,
        "all_entities_created": not result["entity_limit_reached"]
        and result["lock_entities_created"] == n,
    }
    if lock_to_state is not None:
        targets["lock_to_state"] = lock_to_state <= TARGET_LOCK_TO_STATE_S
    if n == 1000:
        targets["setup_1000"] = setup <= TARGET_SETUP_S_AT_1000
    result["targets"] = targets
    return result


# ------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu_model = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    node = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        node = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    from importlib.metadata import version

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "home_assistant": ha_version,
        "aiohttp": version("aiohttp"),
        "seam_sdk": version("seam"),
        "httpx": version("httpx"),
        "node": node,
        "load_average_1_5_15min": [round(load, 2) for load in os.getloadavg()],
    }


ROWS: tuple[tuple[str, str, str], ...] = (
    # (label, key, format)
    ("API requests per poll (target ⌈N/500⌉+2)", "requests_per_poll", "req"),
    ("State writes, unchanged poll (target 0)", "state_writes_unchanged_poll", "int"),
    ("State writes / changes, one lock changed", "state_writes_one_lock_changed_poll", "wc"),
    ("Poll wall time", "poll_wall_s", "ms"),
    ("Poll event-loop CPU", "poll_loop_cpu_s", "ms"),
    ("Poll event-loop CPU, one lock changed", "poll_loop_cpu_one_lock_changed_s", "ms"),
    ("  of which SeamClient.list_devices", "client_list_devices_cpu_s", "ms"),
    ("Floor CPU (aiohttp + json.loads)", "floor_cpu_s", "ms"),
    ("Official SDK CPU (AsyncSeam)", "sdk_cpu_s", "ms"),
    ("Poll CPU / floor (target ≤ 1.2)", "poll_cpu_vs_floor", "ratio"),
    ("Poll CPU / SDK (target ≤ 0.5)", "poll_cpu_vs_sdk", "ratio"),
    ("Poll CPU per lock", "poll_loop_cpu_per_lock_us", "us"),
    ("Entities created (HA adds ≤ 10,000 per entry)", "entities_created", "ent"),
    ("Setup until all entities exist", "setup_s", "s"),
    ("Setup per lock", "setup_per_lock_ms", "msraw"),
    ("Memory per lock (tracemalloc)", "memory_per_lock_bytes", "kib"),
    ("Lock command → new state (target ≤ 1 s)", "lock_to_state_s", "s"),
    ("Lock service call incl. its refresh", "lock_service_call_s", "s"),
    ("Door change → state by push, median (target ≤ 0.2 s)", "push_to_state_median", "s"),
    ("Door change → state by push, p95", "push_to_state_p95", "s"),
    ("Code status change → open card, by push, median (target ≤ 0.5 s)", "card_update_median", "s"),
    ("Code status change → open card, p95", "card_update_p95", "s"),
    ("API requests per hour idle, poll only (30 s)", "requests_per_hour_idle_poll_only", "rph"),
    ("API requests per hour idle, push (target ≤ 20)", "requests_per_hour_idle", "rph"),
    ("1,000 deliveries in 10 s: applied", "burst_applied", "int"),
    ("  loop CPU per delivery", "burst_cpu_per_delivery_ms", "msraw"),
)


def _cell(result: dict[str, Any], key: str, fmt: str) -> str:
    flat = {
        "push_to_state_median": (result.get("push_to_state_s") or {}).get("median"),
        "push_to_state_p95": (result.get("push_to_state_s") or {}).get("p95"),
        "card_update_median": (result.get("card_update_s") or {}).get("median"),
        "card_update_p95": (result.get("card_update_s") or {}).get("p95"),
        "burst_applied": (result.get("burst") or {}).get("activity_events_fired"),
        "burst_cpu_per_delivery_ms": (result.get("burst") or {}).get("loop_cpu_per_delivery_ms"),
    }
    value = flat[key] if key in flat else result.get(key)
    if value is None:
        return "—"
    match fmt:
        case "req":
            return f"{value} (exp. {result['requests_per_poll_expected']})"
        case "int":
            return f"{value}"
        case "ent":
            capped = " (capped)" if result["entity_limit_reached"] else ""
            return f"{value:,}{capped}"
        case "wc":
            return f"{value} / {result['state_changes_one_lock_changed_poll']}"
        case "ms":
            return f"{value * 1e3:.1f} ms"
        case "msraw":
            return f"{value:.2f} ms"
        case "us":
            return f"{value:.1f} µs"
        case "s":
            return f"{value:.3f} s"
        case "rph":
            return f"{value:,.0f}"
        case "kib":
            return f"{value / 1024:.1f} KiB"
        case _:
            return f"{value:.2f}x"


def render_table(results: Sequence[dict[str, Any]]) -> str:
    """A Markdown table: one row per figure, one column per N."""
    header = ["Figure (median of rounds)", *(f"N = {r['n']:,}" for r in results)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([":---", *("---:" for _ in results)]) + "|",
    ]
    for label, key, fmt in ROWS:
        lines.append("| " + " | ".join([label, *(_cell(r, key, fmt) for r in results)]) + " |")
    return "\n".join(lines)


def render_targets(results: Sequence[dict[str, Any]]) -> str:
    """One line per target and N: met or missed."""
    lines = []
    for result in results:
        judged = ", ".join(
            f"{name} {'met' if ok else 'MISSED'}" for name, ok in result["targets"].items()
        )
        lines.append(f"N = {result['n']:,}: {judged}")
    return "\n".join(lines)


def render_machine(machine: dict[str, Any], rounds: int) -> str:
    """One line describing the machine and versions."""
    return (
        f"Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), {machine['os']}; "
        f"Python {machine['python']}, Home Assistant {machine['home_assistant']}, "
        f"aiohttp {machine['aiohttp']}, seam SDK {machine['seam_sdk']} (httpx {machine['httpx']}), "
        f"sandbox on Node {machine['node']}; {rounds} rounds; load average after the run "
        f"{' / '.join(str(load) for load in machine['load_average_1_5_15min'])} (1/5/15 min)."
    )


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """``--n`` (repeatable or comma-separated), ``--rounds``, ``--json``, ``--profile``."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description="Benchmark the Seam integration at N Salto locks."
    )
    parser.add_argument(
        "--n",
        action="append",
        metavar="N",
        help="number of locks; repeat or comma-separate for several (default 1000)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds per N (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the (slow) tracemalloc setup"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one poll per N to stderr"
    )
    parser.add_argument(
        "--lock-many",
        default="10,100",
        metavar="M",
        help="lock counts for lock_many_s, comma-separated (default 10,100; 0 skips it)",
    )
    args = parser.parse_args(argv)
    args.lock_many_sizes = [
        int(part) for part in args.lock_many.split(",") if part.strip() and int(part) > 0
    ]
    sizes = [
        int(part.replace("_", ""))
        for item in args.n or ["1000"]
        for part in item.split(",")
        if part.strip()
    ]
    if not sizes or min(sizes) < 1 or args.rounds < 1:
        parser.error("--n and --rounds must be positive")
    args.sizes = sizes
    return args


async def async_main(
    args: argparse.Namespace,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Start the sandbox, measure every N and lock_many_s, stop the sandbox by PID."""
    sandbox = Sandbox.start()
    try:
        results = [
            await bench_n(n, args.rounds, sandbox, memory=not args.no_memory, profile=args.profile)
            for n in args.sizes
        ]
        lock_many = None
        if args.lock_many_sizes:
            with tempfile.TemporaryDirectory(prefix="seam-bench-") as config_dir:
                lock_many = await bench_lock_many(args.lock_many_sizes, sandbox, config_dir)
        return results, lock_many
    finally:
        sandbox.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m tests.bench``."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)  # "custom integration" notice
    with asyncio.Runner(loop_factory=runner.create_event_loop) as loop_runner:
        results, lock_many = loop_runner.run(async_main(args))
    machine = machine_info()
    if args.json:
        output: dict[str, Any]
        if len(results) == 1:
            output = {**results[0], "machine": machine}
        else:
            output = {"rounds": args.rounds, "machine": machine, "results": results}
        if lock_many is not None:
            output["lock_many"] = lock_many
        print(json.dumps(output, indent=2))
    else:
        print(render_table(results))
        print()
        print(render_targets(results))
        if lock_many is not None:
            print()
            print(render_lock_many(lock_many))
            print()
            print(
                "lock_many: "
                + ", ".join(
                    f"{name} {'met' if ok else 'MISSED'}"
                    for name, ok in lock_many["targets"].items()
                )
            )
        print()
        print(render_machine(machine, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
