"""The guest-code blueprint, loaded through Home Assistant's blueprint integration and run
against the sandbox: a booking in a calendar gets a code ahead of check-in, its PIN is sent,
changes move the code, and the code is deleted after check-out or when the booking is cancelled.
"""

from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date, datetime, timedelta
import json
import logging
from pathlib import Path
import re
import shutil
import sqlite3
from typing import Any, override

from freezegun import freeze_time
from freezegun.api import TickingDateTimeFactory
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.recorder import Recorder
from homeassistant.const import ATTR_ENTITY_ID, EVENT_LOGGING_CHANGED
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.json import json_dumps
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockPlatform,
    async_fire_time_changed,
    async_mock_service,
    mock_platform,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.seam.access_codes import EVENT_ACCESS_CODE_READY
from custom_components.seam.const import DOMAIN
from custom_components.seam.diagnostics import async_get_config_entry_diagnostics
from tests.sandbox import Sandbox

BLUEPRINT = Path(__file__).parent.parent / "blueprints" / "automation" / "seam"
BLUEPRINT_PATH = "seam/guest_code_from_calendar.yaml"
AUGUST = "august_device_1"  # chooses the PIN at once
SALTO = "salto_lock_front_door"  # Salto assigns the PIN of a future code at its start
SCHLAGE = "schlage_device_id"
MESSAGE = "{{ guest }}: {{ pin }} opens {{ lock_name }} from {{ valid_from }} to {{ valid_until }}"

type Codes = Callable[[str], Any]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """As in conftest.py; the recorder's database is prepared before Home Assistant starts."""


class BookingCalendar(CalendarEntity):
    """A calendar whose events the test edits, like a booking site's export."""

    _attr_name = "Bookings"

    def __init__(self) -> None:
        """Start without bookings."""
        self.bookings: list[CalendarEvent] = []

    @property
    @override
    def event(self) -> CalendarEvent | None:
        """No current event is needed by the blueprint."""
        return None

    @override
    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The bookings overlapping the window."""
        return [
            booking
            for booking in self.bookings
            if booking.start_datetime_local < end_date and booking.end_datetime_local > start_date
        ]


@pytest.fixture
async def calendar(hass: HomeAssistant) -> BookingCalendar:
    """calendar.bookings, set up through the calendar integration."""
    entity = BookingCalendar()

    async def _setup_platform(
        hass: HomeAssistant, config: Any, add_entities: AddEntitiesCallback, info: Any = None
    ) -> None:
        add_entities([entity])

    mock_platform(hass, "test.calendar", MockPlatform(async_setup_platform=_setup_platform))
    assert await async_setup_component(hass, "calendar", {"calendar": {"platform": "test"}})
    await hass.async_block_till_done()
    return entity


@pytest.fixture
def clock() -> Iterator[TickingDateTimeFactory]:
    """A clock the test moves, that keeps running in between (the actions wait in real time)."""
    with freeze_time("2030-01-01 00:00:00", tick=True) as frozen:
        yield frozen


@pytest.fixture
def lock_ids(hass: HomeAssistant, init_integration: MockConfigEntry) -> dict[str, str]:
    """Entity ids of the sandbox's August and Schlage locks."""
    registry = er.async_get(hass)
    ids = {}
    for device_id in (AUGUST, SCHLAGE, SALTO):
        entity_id = registry.async_get_entity_id("lock", DOMAIN, f"{device_id}-lock")
        assert entity_id is not None
        ids[device_id] = entity_id
    return ids


async def _setup_blueprint(
    hass: HomeAssistant,
    tmp_path: Path,
    locks: list[str],
    *,
    trace: dict[str, Any] | None = None,
    **inputs: Any,
) -> list[ServiceCall]:
    """Install the repository's blueprint in a config folder and add an automation from it."""
    shutil.copytree(BLUEPRINT, tmp_path / "blueprints" / "automation" / "seam")
    hass.config.config_dir = str(tmp_path)
    sent = async_mock_service(hass, "notify", "guest")
    config = {
        "id": "guest_codes",  # as the automation editor gives each automation (traces need it)
        "alias": "Guest codes",
        "use_blueprint": {
            "path": BLUEPRINT_PATH,
            "input": {
                "calendar": "calendar.bookings",
                "locks": locks,
                "deliver": [{"action": "notify.guest", "data": {"message": MESSAGE}}],
                **inputs,
            },
        },
        **({"trace": trace} if trace is not None else {}),
    }
    assert await async_setup_component(hass, "automation", {"automation": [config]})
    await hass.async_block_till_done()
    assert hass.states.get("automation.guest_codes") is not None
    return sent


async def _at(hass: HomeAssistant, clock: TickingDateTimeFactory, when: str) -> None:
    """Move the clock to a local time; the automation's 15-minute trigger runs."""
    moment = dt_util.parse_datetime(when)
    assert moment is not None
    clock.move_to(dt_util.as_utc(moment.replace(tzinfo=dt_util.get_default_time_zone())))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _codes(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN,
        "list_access_codes",
        {ATTR_ENTITY_ID: entity_id},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    result: dict[str, Any] = dict(response)
    codes: list[dict[str, Any]] = result[entity_id]["access_codes"]
    return codes


def _local(iso: str) -> str:
    parsed = dt_util.parse_datetime(iso)
    assert parsed is not None
    return dt_util.as_local(parsed).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("expected_lingering_timers", [True])  # the automation's time triggers
async def test_booking_gets_a_code_ahead_then_moved_then_deleted(
    hass: HomeAssistant,
    *,
    sandbox: Sandbox,
    clock: TickingDateTimeFactory,
    tmp_path: Path,
    calendar: BookingCalendar,
    lock_ids: dict[str, str],
) -> None:
    """An all-day booking: a code on each lock a day ahead, its PIN sent; moved; gone after.

    The check-out is moved a day later: the codes follow and keep their PINs.
    """
    await hass.config.async_set_time_zone("Europe/Berlin")
    await _at(hass, clock, "2030-12-22 23:55:00")
    august, schlage = lock_ids[AUGUST], lock_ids[SCHLAGE]
    sent = await _setup_blueprint(hass, tmp_path, [august, schlage])
    calendar.bookings.append(
        CalendarEvent(start=date(2030, 12, 24), end=date(2030, 12, 27), summary="Alex")
    )

    await _at(hass, clock, "2030-12-23 14:45:00")  # check-in 24 Dec 15:00 is > 24 h away
    assert await _codes(hass, august) == []
    assert sent == []

    await _at(hass, clock, "2030-12-23 15:00:00")
    codes = {lock: await _codes(hass, lock) for lock in (august, schlage)}
    for [code] in codes.values():
        assert code["name"].endswith("] Guest Alex"), code["name"]
        assert code["name"].startswith("[")
        assert _local(code["starts_at"]) == "2030-12-24 15:00"
        assert _local(code["ends_at"]) == "2030-12-27 11:00"
    assert sorted(call.data["message"] for call in sent) == sorted(
        f"Guest Alex: {codes[lock][0]['code']} opens {hass.states.get(lock).name} "  # type: ignore[union-attr]
        "from 2030-12-24 15:00 to 2030-12-27 11:00"
        for lock in (august, schlage)
    )

    # Nothing changes in the next run: no second code, no second message.
    await sandbox.reset_requests()
    await _at(hass, clock, "2030-12-23 15:15:00")
    assert [len(await _codes(hass, lock)) for lock in (august, schlage)] == [1, 1]
    assert len(sent) == 2
    assert "/access_codes/create" not in await sandbox.requests()

    # The guest stays a night longer: the codes are moved, keep their PIN, no new message.
    calendar.bookings[0] = CalendarEvent(
        start=date(2030, 12, 24), end=date(2030, 12, 28), summary="Alex"
    )
    await _at(hass, clock, "2030-12-23 15:30:00")
    for lock in (august, schlage):
        [code] = await _codes(hass, lock)
        assert _local(code["ends_at"]) == "2030-12-28 11:00"
        assert code["code"] == codes[lock][0]["code"]
    assert len(sent) == 2

    # Still listed during the stay, deleted in the first run after check-out.
    await _at(hass, clock, "2030-12-28 10:45:00")
    assert [len(await _codes(hass, lock)) for lock in (august, schlage)] == [1, 1]
    await _at(hass, clock, "2030-12-28 11:15:00")
    assert [await _codes(hass, lock) for lock in (august, schlage)] == [[], []]


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_cancelled_and_rebooked(
    hass: HomeAssistant,
    *,
    sandbox: Sandbox,
    clock: TickingDateTimeFactory,
    tmp_path: Path,
    calendar: BookingCalendar,
    lock_ids: dict[str, str],
) -> None:
    """A cancelled booking's code is deleted; a booking moved to another day gets a new code.

    Codes that are not the blueprint's stay untouched.
    """
    await hass.config.async_set_time_zone("Europe/Berlin")
    await _at(hass, clock, "2030-06-01 08:55:00")
    august = lock_ids[AUGUST]
    sent = await _setup_blueprint(
        hass, tmp_path, [august], lead_time={"hours": 2}, name_template="{{ booking.summary }}!"
    )
    await hass.services.async_call(
        DOMAIN,
        "create_access_code",
        {ATTR_ENTITY_ID: august, "name": "Cleaner", "code": "1234"},
        blocking=True,
        return_response=True,
    )
    start = datetime(2030, 6, 1, 10, 30, tzinfo=dt_util.get_default_time_zone())
    calendar.bookings.append(
        CalendarEvent(start=start, end=start + timedelta(hours=20), summary="Sam")
    )

    await _at(hass, clock, "2030-06-01 09:00:00")
    [cleaner, sam] = sorted(await _codes(hass, august), key=lambda code: code["name"])
    assert sam["name"].endswith("] Sam!")
    assert _local(sam["starts_at"]) == "2030-06-01 10:30"
    assert [call.data["message"] for call in sent] == [
        f"Sam!: {sam['code']} opens {hass.states.get(august).name} "  # type: ignore[union-attr]
        "from 2030-06-01 10:30 to 2030-06-02 06:30"
    ]

    # Moved to the next day: the old code goes, the new one comes when it is due.
    calendar.bookings[0] = CalendarEvent(
        start=start + timedelta(days=1), end=start + timedelta(days=1, hours=20), summary="Sam"
    )
    await _at(hass, clock, "2030-06-01 09:15:00")
    assert [code["name"] for code in await _codes(hass, august)] == ["Cleaner"]
    await _at(hass, clock, "2030-06-02 09:00:00")
    [cleaner, moved] = sorted(await _codes(hass, august), key=lambda code: code["name"])
    assert moved["name"] == sam["name"].replace(sam["name"][6:14], moved["name"][6:14])
    assert moved["name"] != sam["name"]
    assert len(sent) == 2

    # Cancelled: its code is deleted, the cleaner's stays.
    calendar.bookings.clear()
    await _at(hass, clock, "2030-06-02 09:15:00")
    assert [code["name"] for code in await _codes(hass, august)] == ["Cleaner"]
    assert cleaner["name"] == "Cleaner"


async def _at_with_sandbox(
    hass: HomeAssistant, clock: TickingDateTimeFactory, sandbox: Sandbox, when: str
) -> None:
    """Move the sandbox's clock (it only goes forward) to that local time first, then ours."""
    moment = dt_util.parse_datetime(when)
    assert moment is not None
    target = dt_util.as_utc(moment.replace(tzinfo=dt_util.get_default_time_zone()))
    sandbox_now = dt_util.parse_datetime(await sandbox.advance_clock(0))
    assert sandbox_now is not None
    ahead = (target - sandbox_now).total_seconds()
    assert ahead > 0, "the sandbox clock is ahead of the test's"
    await sandbox.advance_clock(ahead)
    await _at(hass, clock, when)


@pytest.mark.parametrize("expected_lingering_timers", [True])
@pytest.mark.parametrize("pin_at_starts_at", [False, True])
async def test_salto_pin_sent_at_check_in(
    hass: HomeAssistant,
    *,
    sandbox: Sandbox,
    clock: TickingDateTimeFactory,
    tmp_path: Path,
    calendar: BookingCalendar,
    lock_ids: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    pin_at_starts_at: bool,
) -> None:
    """Salto KS: the code is made a day ahead; its PIN is sent when Salto assigns it, up to three
    days before check-in, at the latest at check-in.

    Seam loads a natively scheduled code 72 hours before its start (the sandbox's default): a
    code made a day ahead gets its PIN at once and the PIN is sent then. With the other
    plausible behaviour (``salto_pin_at_starts_at``) the PIN comes, and is sent, at check-in.
    The PIN is in no log line, at debug level, of the integration or the automation.
    """
    caplog.set_level(logging.DEBUG)
    await sandbox.set_config(salto_pin_at_starts_at=pin_at_starts_at, salto_code_delay_s=0)
    await hass.config.async_set_time_zone("Europe/Berlin")
    await _at_with_sandbox(hass, clock, sandbox, "2030-12-22 23:55:00")
    salto = lock_ids[SALTO]
    sent = await _setup_blueprint(hass, tmp_path, [salto])
    calendar.bookings.append(
        CalendarEvent(start=date(2030, 12, 24), end=date(2030, 12, 27), summary="Kim")
    )

    def message(pin: str) -> str:
        return (
            f"Guest Kim: {pin} opens {hass.states.get(salto).name} "  # type: ignore[union-attr]
            "from 2030-12-24 15:00 to 2030-12-27 11:00"
        )

    await _at_with_sandbox(hass, clock, sandbox, "2030-12-23 15:00:00")
    await _at_with_sandbox(hass, clock, sandbox, "2030-12-23 15:01:00")
    [code] = await _codes(hass, salto)
    assert code["status"] == "unset"
    if pin_at_starts_at:
        assert code["code"] is None
        assert code["is_waiting_for_code_assignment"] is True
        assert sent == []
    else:
        # Loaded onto the lock a day ahead: the PIN is known, and sent, now.
        assert code["code"] is not None
        assert [call.data["message"] for call in sent] == [message(code["code"])]

    # Check-in: the code is active (and, at the latest now, has its PIN, sent once).
    await _at_with_sandbox(hass, clock, sandbox, "2030-12-24 15:00:30")
    [code] = await _codes(hass, salto)
    assert code["code"] is not None
    assert code["status"] == "set"
    assert [call.data["message"] for call in sent] == [message(code["code"])]

    # After check-out the code is gone (Seam removes it at its end, the automation deletes it).
    await _at_with_sandbox(hass, clock, sandbox, "2030-12-27 11:15:00")
    assert await _codes(hass, salto) == []
    assert len(sent) == 1
    assert "Running automation actions" in caplog.text
    assert code["code"] not in caplog.text


def _pin_pattern(pin: str) -> re.Pattern[str]:
    """A PIN as a whole run of digits (not inside a longer number such as a port or an id)."""
    return re.compile(rf"(?<!\d){pin}(?!\d)")


@pytest.mark.parametrize("persistent_database", [True])  # the recorder writes a SQLite file
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_pin_path_leaves_no_trace(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    *,
    sandbox: Sandbox,
    clock: TickingDateTimeFactory,
    tmp_path: Path,
    calendar: BookingCalendar,
    lock_ids: dict[str, str],
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Salto KS PIN from creation to the guest: in no database, log, state or diagnostics.

    The blueprint creates the code days ahead without a PIN; Salto assigns it later; the
    integration fires ``seam_access_code_ready`` (without the PIN); the automation reads the PIN
    with ``seam.get_access_code`` (no user: it may) and sends it. Recorder on a SQLite file and
    every logger at DEBUG, Home Assistant core's included (its event bus logs each event's data).
    Only the guest's message (the user's own delivery action, recorded and logged by core like
    any action call) may hold it.
    """
    caplog.set_level(logging.DEBUG)
    hass.bus.async_fire(EVENT_LOGGING_CHANGED)  # core's bus re-reads its log level
    await hass.async_block_till_done()
    await hass.config.async_set_time_zone("Europe/Berlin")
    await _at_with_sandbox(hass, clock, sandbox, "2030-12-18 23:55:00")
    salto = lock_ids[SALTO]
    sent = await _setup_blueprint(hass, tmp_path, [salto], lead_time={"days": 5})
    calendar.bookings.append(
        CalendarEvent(start=date(2030, 12, 24), end=date(2030, 12, 27), summary="Kim")
    )
    ready: list[dict[str, Any]] = []
    hass.bus.async_listen(EVENT_ACCESS_CODE_READY, lambda event: ready.append(dict(event.data)))

    # Five days ahead: the code is created; Salto assigns its PIN only later.
    await _at_with_sandbox(hass, clock, sandbox, "2030-12-19 15:00:00")
    [created] = await _codes(hass, salto)
    assert created["code"] is None
    assert sent == []

    await _at_with_sandbox(hass, clock, sandbox, "2030-12-24 15:00:30")
    [code] = await _codes(hass, salto)
    pin = code["code"]
    assert isinstance(pin, str)
    assert ready == [
        {
            "entity_id": salto,
            "device_id": SALTO,
            "access_code_id": created["access_code_id"],
            "name": created["name"],
            "starts_at": created["starts_at"],
            "ends_at": created["ends_at"],
        }
    ]
    assert [call.data["message"] for call in sent] == [
        f"Guest Kim: {pin} opens {hass.states.get(salto).name} "  # type: ignore[union-attr]
        "from 2030-12-24 15:00 to 2030-12-27 11:00"
    ]
    found = _pin_pattern(pin)

    # States and attributes, diagnostics and repair issues.
    states = [state.as_dict() for state in hass.states.async_all()]
    assert any(state["entity_id"] == f"sensor.{salto[5:]}_access_codes" for state in states)
    assert not found.search(json.dumps(states, default=str))
    # (Called directly: the HTTP API's access token expired while the clock moved days on.)
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)
    assert SALTO in json_dumps(diagnostics)
    assert not found.search(json_dumps(diagnostics))
    issues = [issue.to_json() for issue in ir.async_get(hass).issues.values()]
    assert not found.search(json.dumps(issues, default=str))

    # The log: every record at DEBUG, minus core's lines about the guest's own message.
    texts = [
        text
        for record in caplog.records
        for text in (record.getMessage(), repr(record.args))
        if not (record.name == "homeassistant.core" and "service=guest" in text)
    ]
    assert any("Bus:Handling <Event seam_access_code_ready" in text for text in texts)
    assert any("service=get_access_code" in text for text in texts)
    assert not [text for text in texts if found.search(text)]

    # The database file (with its write-ahead log): the event is there, the PIN is not,
    # except in the guest's message (core records every action call with its data).
    await async_wait_recording_done(hass)
    db_path = Path(recorder_mock.db_url.removeprefix("sqlite:///"))
    with closing(sqlite3.connect(db_path)) as db:
        event_data = [
            json.loads(row[0])
            for row in db.execute(
                "SELECT shared_data FROM event_data JOIN events USING (data_id)"
                " JOIN event_types USING (event_type_id)"
                " WHERE event_types.event_type = ?",
                (EVENT_ACCESS_CODE_READY,),
            )
        ]
        calls = [
            row[0]
            for row in db.execute(
                "SELECT shared_data FROM event_data JOIN events USING (data_id)"
                " JOIN event_types USING (event_type_id)"
                " WHERE event_types.event_type = 'call_service'"
            )
        ]
    assert event_data == ready
    with_pin = [call for call in calls if found.search(call)]
    assert [json.loads(call)["service"] for call in with_pin] == ["guest"]
    raw = b"".join(
        path.read_bytes() for path in db_path.parent.iterdir() if path.name.startswith(db_path.name)
    )
    assert raw.count(b"seam_access_code_ready") > 0
    assert re.findall(rb"(?<!\d)" + pin.encode() + rb"(?!\d)", raw)
    assert not re.findall(rb"(?<!Guest Kim: )(?<!\d)" + pin.encode() + rb"(?!\d)", raw)


@pytest.mark.parametrize("stored_traces", [None, 0])
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_traces_hold_pins_unless_turned_off(
    hass: HomeAssistant,
    *,
    hass_ws_client: WebSocketGenerator,
    sandbox: Sandbox,
    tmp_path: Path,
    calendar: BookingCalendar,
    lock_ids: dict[str, str],
    stored_traces: int | None,
) -> None:
    """What the blueprint's description says: a run's trace holds the PIN it delivered, and
    ``trace: {stored_traces: 0}`` in the automation's YAML keeps no trace."""
    august = lock_ids[AUGUST]
    sent = await _setup_blueprint(
        hass,
        tmp_path,
        [august],
        trace=None if stored_traces is None else {"stored_traces": stored_traces},
    )
    start = dt_util.now() + timedelta(hours=2)
    calendar.bookings.append(
        CalendarEvent(start=start, end=start + timedelta(days=1), summary="Alex")
    )

    await hass.services.async_call(
        "automation", "trigger", {ATTR_ENTITY_ID: "automation.guest_codes"}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    [code] = await _codes(hass, august)
    [message] = [call.data["message"] for call in sent]
    assert message.startswith(f"Guest Alex: {code['code']} opens ")

    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "trace/list", "domain": "automation"})
    listed = await client.receive_json()
    assert listed["success"]
    if stored_traces == 0:
        assert listed["result"] == []
        return
    [run] = listed["result"]
    await client.send_json_auto_id(
        {
            "type": "trace/get",
            "domain": "automation",
            "item_id": run["item_id"],
            "run_id": run["run_id"],
        }
    )
    trace = await client.receive_json()
    assert code["code"] in json.dumps(trace["result"])

    # A regular run that delivers nothing reads the codes without their PINs: no PIN in its trace.
    await hass.services.async_call(
        "automation", "trigger", {ATTR_ENTITY_ID: "automation.guest_codes"}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(sent) == 1
    await client.send_json_auto_id({"type": "trace/list", "domain": "automation"})
    runs = (await client.receive_json())["result"]
    [second] = [r for r in runs if r["run_id"] != run["run_id"]]
    await client.send_json_auto_id(
        {
            "type": "trace/get",
            "domain": "automation",
            "item_id": second["item_id"],
            "run_id": second["run_id"],
        }
    )
    second_trace = json.dumps((await client.receive_json())["result"])
    assert "seam.list_access_codes" in second_trace or "list_access_codes" in second_trace
    assert code["code"] not in second_trace


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_locks_not_in_home_assistant_are_left_out(
    hass: HomeAssistant,
    *,
    clock: TickingDateTimeFactory,
    tmp_path: Path,
    calendar: BookingCalendar,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before Seam is set up (scripts/develop's demo automation at its first start) or after a
    lock was removed, the chosen locks are not in Home Assistant: the automation leaves them out
    and does nothing, instead of failing every 15 minutes on a Seam action that is not there."""
    await _at(hass, clock, "2030-06-01 08:55:00")
    sent = await _setup_blueprint(hass, tmp_path, ["lock.front_door"], lead_time={"hours": 2})
    start = datetime(2030, 6, 1, 10, 0, tzinfo=dt_util.get_default_time_zone())
    calendar.bookings.append(
        CalendarEvent(start=start, end=start + timedelta(hours=20), summary="Sam")
    )

    await _at(hass, clock, "2030-06-01 09:00:00")
    assert sent == []
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == []
