// The /_sandbox/* control API (no auth; the server only listens on loopback).
import {
  applyDevicePatch,
  buildGenericLock,
  buildSaltoDevice,
  requiredEventFields,
  SALTO_CONNECTED_ACCOUNT_ID,
  SANDBOX_WORKSPACE_ID,
} from "./devices.mjs"
import { addAccessCodeProblem, applyCodeSchedules, sandboxNow } from "./api.mjs"
import { badRequest, HttpError, notFound, sendJson } from "./http.mjs"
import { addDevicesBulk, describeWorld } from "./state.mjs"
import { handleWebview } from "./webview.mjs"
import { webhookControlRoutes } from "./webhooks.mjs"

export const DEFAULT_CONFIG = Object.freeze({
  // Seconds until Salto assigns the PIN of a code that starts now (or within the native
  // scheduling window).
  salto_code_delay_s: 1,
  action_attempt_delay_s: 0,
  // The sandbox clock: seconds added to the real time for access code schedules (starts_at,
  // ends_at). Moved with POST /_sandbox/clock/advance.
  clock_offset_s: 0,
  // How long before starts_at Seam loads a natively scheduled (Salto KS) code and its PIN
  // arrives with access_code.scheduled_on_device: low-level-apis/smart-locks/access-codes/
  // index.mdx, "Native Scheduling": "a full 72 hours before the starts_at timestamp".
  native_scheduling_window_s: 72 * 3600,
  // The other plausible behaviour (in no Seam document): Salto's PIN of a future code only at
  // starts_at, with access_code.set_on_device, and no scheduled_on_device before.
  salto_pin_at_starts_at: false,
  // What happens at a time-bound code's ends_at (lifecycle-of-access-codes.mdx; see expireCode
  // in api.mjs): "delete" (removing, then gone: 404), "keep" (the change that page announces:
  // the code stays listed, unset) or "fail_removal" (stuck removing, error
  // failed_to_remove_from_device).
  expired_codes: "delete",
  // Seconds an expired code stays `removing` before Seam deletes it ("delete" above).
  code_removal_delay_s: 1,
  // Seconds after a Connect Webview login until the connected account's first sync ends and
  // its locks appear (connected_account.completed_first_sync); 0 = in the login step. Spec,
  // connect_webviews/create.wait_for_device_creation: "whether Seam should finish syncing all
  // devices ... before completing the associated Connect Webview" (default false).
  first_sync_delay_s: 2,
  // events/list order. Seam documents no order (docs/api-reference/events/list.md), so both:
  // "desc" = newest first, "asc" = oldest first.
  events_order: "desc",
  // ASSUMPTION (in no Seam document), off by default: a Salto KS web unlock is momentary and
  // the lock reports locked again this many seconds after unlock_door (null = it stays
  // unlocked until the lock reports otherwise).
  salto_relock_after_s: null,
  // ASSUMPTION (in no Seam document), off by default: Salto KS locks report a door sensor
  // (properties.door_open; the Meeting Room's door is open).
  salto_door_open: false,
  // Also emit access_code.issued (carrying `code`) when a PIN is assigned: an event of spec
  // 1.1038.0 marked "Unreleased" there, so off by default.
  emit_issued_event: false,
})

// Seed Salto locks whose door is open when `salto_door_open` is on.
const OPEN_DOORS = new Set(["salto_lock_meeting_room"])

/** Give every Salto KS lock a door_open (or take it away): the `salto_door_open` switch. */
const applyDoorSwitch = (world, on) => {
  const devices = world.db.getState().devices.map((device) => {
    if (device.device_type !== "salto_lock") return device
    const { door_open: _old, ...properties } = device.properties
    if (on) properties.door_open = OPEN_DOORS.has(device.device_id)
    return { ...device, properties }
  })
  world.db.setState({ devices })
}

const CONFIG_CHOICES = { events_order: ["asc", "desc"], expired_codes: ["delete", "keep", "fail_removal"] }

const MAX_ADD_COUNT = 100_000

const DEFAULT_ACCOUNT_FOR_TYPE = {
  salto_lock: SALTO_CONNECTED_ACCOUNT_ID,
  august_lock: "john_connected_account_id",
  schlage_lock: "jane_connected_account_id",
}

const requireObject = (payload) => {
  if (payload == null || typeof payload !== "object" || Array.isArray(payload)) {
    throw badRequest("Expected a JSON object body")
  }
  return payload
}

const requireDeviceId = (payload) => {
  const { device_id } = payload
  if (typeof device_id !== "string" || device_id === "") throw badRequest('"device_id" is required')
  return device_id
}

const findDeviceOr404 = (world, device_id) => {
  const device = world.db.getState().devices.find((d) => d.device_id === device_id)
  if (device == null) throw notFound("device_not_found", `No device ${device_id}`)
  return device
}

const replaceDevice = (world, device) => {
  const { db } = world
  db.setState({
    devices: db.getState().devices.map((d) => (d.device_id === device.device_id ? device : d)),
  })
}

const updateDevice = (sandbox, payload) => {
  const world = sandbox.world
  const device_id = requireDeviceId(payload)
  const device = findDeviceOr404(world, device_id)
  const { properties } = payload
  if (properties != null && (typeof properties !== "object" || Array.isArray(properties))) {
    throw badRequest('"properties" must be an object')
  }
  const updated = applyDevicePatch(device, payload)
  replaceDevice(world, updated)
  return { ok: true, device: updated }
}

const addDevices = (sandbox, payload) => {
  const world = sandbox.world
  const {
    count = 1,
    device_type = "salto_lock",
    connected_account_id: requestedAccount,
    workspace_id = SANDBOX_WORKSPACE_ID,
    name,
    ...patch
  } = payload
  if (!Number.isInteger(count) || count < 1 || count > MAX_ADD_COUNT) {
    throw badRequest(`"count" must be an integer between 1 and ${MAX_ADD_COUNT}`)
  }
  if (typeof device_type !== "string" || !device_type.endsWith("_lock")) {
    throw badRequest('"device_type" must be a lock type such as "salto_lock" or "august_lock"')
  }
  const connected_account_id =
    requestedAccount ?? DEFAULT_ACCOUNT_FOR_TYPE[device_type] ?? "john_connected_account_id"
  const account = world.db
    .getState()
    .connected_accounts.find((ca) => ca.connected_account_id === connected_account_id)
  if (account == null) throw badRequest(`Unknown connected_account_id ${connected_account_id}`)
  if (account.workspace_id !== workspace_id) {
    throw badRequest("connected_account_id belongs to another workspace")
  }

  const created_at = new Date().toISOString()
  const hasPatch = Object.keys(patch).length > 0
  const devices = []
  for (let i = 0; i < count; i += 1) {
    world.counters.added += 1
    const n = String(world.counters.added).padStart(5, "0")
    const device_id = `${device_type}_added_${n}`
    const deviceName = count === 1 && typeof name === "string" ? name : `${name ?? "Added Lock"} ${n}`
    let device =
      device_type === "salto_lock"
        ? buildSaltoDevice({
            device_id,
            name: deviceName,
            workspace_id,
            connected_account_id,
            created_at,
          })
        : buildGenericLock({
            device_id,
            device_type,
            name: deviceName,
            workspace_id,
            connected_account_id,
            created_at,
          })
    if (hasPatch) device = applyDevicePatch(device, patch)
    devices.push(device)
  }
  addDevicesBulk(world.db, devices)
  return { ok: true, device_ids: devices.map((d) => d.device_id) }
}

const removeDevice = (sandbox, payload) => {
  const world = sandbox.world
  const device_id = requireDeviceId(payload)
  const device = findDeviceOr404(world, device_id)
  const { db } = world
  const state = db.getState()
  db.setState({
    devices: state.devices.filter((d) => d.device_id !== device_id),
    access_codes: state.access_codes.filter((ac) => ac.device_id !== device_id),
  })
  db.addEvent({
    event_type: "device.removed",
    workspace_id: device.workspace_id,
    device_id,
    connected_account_id: device.connected_account_id,
  })
  return { ok: true, device_id }
}

/**
 * Add an event; with `count`, that many (1 ms apart, the last one now or just after the latest).
 */
const addEvent = (sandbox, payload) => {
  const world = sandbox.world
  const { device_id, event_type, count, ...extra } = payload
  if (typeof event_type !== "string" || event_type === "") {
    throw badRequest('"event_type" is required')
  }
  if (count != null && (!Number.isInteger(count) || count < 1 || count > MAX_ADD_COUNT)) {
    throw badRequest(`"count" must be an integer between 1 and ${MAX_ADD_COUNT}`)
  }
  const device = device_id == null ? undefined : findDeviceOr404(world, device_id)
  const accountId = extra.connected_account_id ?? device?.connected_account_id
  const account = world.db.getState().connected_accounts.find((a) => a.connected_account_id === accountId)
  // What the spec requires on this event type and the test left out (devices.mjs).
  const required = requiredEventFields(event_type, extra, { device, account })
  // 1 ms apart, ending now, but after the latest event (so batches do not interleave).
  const n = count ?? 1
  const latest = world.db
    .getState()
    .events.reduce((max, e) => Math.max(max, Date.parse(e.created_at) || 0), 0)
  const start = Math.max(Date.now() - (n - 1), latest + 1)
  const events = []
  for (let i = 0; i < n; i += 1) {
    const at = new Date(start + i).toISOString()
    events.push(
      world.db.addEvent({
        workspace_id: device?.workspace_id ?? SANDBOX_WORKSPACE_ID,
        ...(device != null
          ? { device_id, connected_account_id: device.connected_account_id }
          : {}),
        created_at: at,
        occurred_at: at,
        ...required,
        ...extra,
        event_type,
      }),
    )
  }
  return count == null
    ? { ok: true, event: events[0] }
    : { ok: true, event_ids: events.map((e) => e.event_id) }
}

// Spec: event lock.locked / lock.unlocked, `method` enum keycode|manual|automatic|unknown|remote|card,
// `access_code_id` and `access_code_is_managed` ("Only present when access_code_id is set").
const DOOR_METHODS = new Set(["keycode", "manual", "automatic", "unknown", "remote", "card"])

/**
 * A change made at the door (a PIN, a key, the thumbturn, the Salto app): the lock's `locked`
 * (and Salto's `locked_state`) change and Seam emits lock.locked / lock.unlocked with the method.
 * `occurred_at` may be given (an older time, for out-of-order tests).
 */
const doorChange = (sandbox, payload) => {
  const world = sandbox.world
  const device_id = requireDeviceId(payload)
  const device = findDeviceOr404(world, device_id)
  const { action = "unlock", method = "manual", access_code_id, occurred_at } = payload
  if (action !== "lock" && action !== "unlock") throw badRequest('"action" must be "lock" or "unlock"')
  if (!DOOR_METHODS.has(method)) throw badRequest(`"method" must be one of ${[...DOOR_METHODS].join(", ")}`)
  const locking = action === "lock"
  const properties = { locked: locking }
  if (device.properties?.salto_ks_metadata != null) {
    properties.salto_ks_metadata = {
      ...device.properties.salto_ks_metadata,
      locked_state: locking ? "locked" : "unlocked",
    }
  }
  world.db.updateDevice({ device_id, properties })
  const now = new Date().toISOString()
  const event = world.db.addEvent({
    event_type: locking ? "lock.locked" : "lock.unlocked",
    workspace_id: device.workspace_id,
    device_id,
    connected_account_id: device.connected_account_id,
    method,
    ...(access_code_id != null ? { access_code_id, access_code_is_managed: true } : {}),
    created_at: now,
    occurred_at: occurred_at ?? now,
  })
  return { ok: true, event }
}

/**
 * Load for the push benchmark: `count` door changes (lock/unlock toggles, method manual) spread
 * evenly over `over_s` seconds, round-robin over `device_ids` (default: every lock of the
 * workspace). Answers at once; the changes run on the world's timers.
 */
const doorBurst = (sandbox, payload) => {
  const world = sandbox.world
  const { count, over_s = 10, device_ids } = payload
  if (!Number.isInteger(count) || count < 1 || count > MAX_ADD_COUNT) throw badRequest('"count" must be a positive integer')
  if (typeof over_s !== "number" || over_s < 0) throw badRequest('"over_s" must be >= 0')
  const ids =
    device_ids ??
    world.db
      .getState()
      .devices.filter((d) => d.workspace_id === SANDBOX_WORKSPACE_ID && d.device_type.endsWith("_lock"))
      .map((d) => d.device_id)
  if (!Array.isArray(ids) || ids.length === 0) throw badRequest("no locks to change")
  for (let i = 0; i < count; i += 1) {
    const timer = setTimeout(() => {
      world.timers.delete(timer)
      const device_id = ids[i % ids.length]
      const device = world.db.getState().devices.find((d) => d.device_id === device_id)
      if (device == null) return
      doorChange(sandbox, { device_id, action: device.properties?.locked ? "unlock" : "lock" })
    }, Math.round((i * over_s * 1000) / count))
    world.timers.add(timer)
  }
  return { ok: true, count, device_ids: ids }
}

const setConfig = (sandbox, payload) => {
  for (const [key, value] of Object.entries(payload)) {
    if (!(key in DEFAULT_CONFIG)) throw badRequest(`Unknown config key "${key}"`)
    const kind = typeof DEFAULT_CONFIG[key]
    if (kind === "boolean") {
      if (typeof value !== "boolean") throw badRequest(`"${key}" must be true or false`)
      continue
    }
    if (kind === "string") {
      if (!CONFIG_CHOICES[key].includes(value)) {
        throw badRequest(`"${key}" must be one of ${CONFIG_CHOICES[key].join(", ")}`)
      }
      continue
    }
    if (key === "clock_offset_s" && typeof value === "number" && Number.isFinite(value)) continue
    if (key === "salto_relock_after_s" && value === null) continue
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw badRequest(`"${key}" must be a non-negative number of seconds`)
    }
  }
  const doorSwitch = "salto_door_open" in payload && payload.salto_door_open !== sandbox.config.salto_door_open
  Object.assign(sandbox.config, payload)
  if (doorSwitch) applyDoorSwitch(sandbox.world, sandbox.config.salto_door_open)
  applyCodeSchedules(sandbox)
  return { ok: true, ...sandbox.config }
}

/** Routes: "METHOD path" -> (sandbox, payload) => JSON body. */
const routes = {
  "GET state": (sandbox) => describeWorld(sandbox.world),
  "POST reset": async (sandbox) => {
    await sandbox.reset()
    return { ok: true, ...describeWorld(sandbox.world) }
  },
  "POST devices/update": (sandbox, payload) => updateDevice(sandbox, payload),
  "POST devices/add": (sandbox, payload) => addDevices(sandbox, payload),
  "POST devices/remove": (sandbox, payload) => removeDevice(sandbox, payload),
  "POST events/add": (sandbox, payload) => addEvent(sandbox, payload),
  "POST devices/door": (sandbox, payload) => doorChange(sandbox, payload),
  "POST devices/door/burst": (sandbox, payload) => doorBurst(sandbox, payload),
  ...webhookControlRoutes,
  // A code made outside Seam (e.g. in the Salto app): access_codes/unmanaged/get finds it.
  "POST access_codes/add_unmanaged": (sandbox, payload) => {
    const device = findDeviceOr404(sandbox.world, requireDeviceId(payload))
    const { name = "Unmanaged code", code = null } = payload
    const access_code = sandbox.world.db.addAccessCode({
      device_id: device.device_id,
      workspace_id: device.workspace_id,
      name,
      code,
      type: "ongoing",
      status: "set",
      is_managed: false,
    })
    return { ok: true, access_code_id: access_code.access_code_id }
  },
  // Set a connected account's errors and/or warnings (e.g. the warning
  // account_reauthorization_requested, which Seam reports on the account only). Spec:
  // connected_account.errors[] / .warnings[] items require created_at, message and the code.
  "POST connected_accounts/update": (sandbox, payload) => {
    const { connected_account_id, errors, warnings } = payload
    const { db } = sandbox.world
    const account = db.getState().connected_accounts.find((a) => a.connected_account_id === connected_account_id)
    if (account == null) throw notFound("connected_account_not_found", `No connected account ${connected_account_id}`)
    const created_at = new Date().toISOString()
    const complete = (items, key) => {
      if (items == null) return undefined
      if (!Array.isArray(items)) throw badRequest(`"${key}" must be an array`)
      return items.map((item) => ({ created_at, message: item[key], ...item }))
    }
    const patch = { connected_account_id }
    if (errors != null) patch.errors = complete(errors, "error_code")
    if (warnings != null) patch.warnings = complete(warnings, "warning_code")
    return { ok: true, connected_account: db.updateConnectedAccount(patch) }
  },
  // A problem of spec 1.1038.0 on an access code: {access_code_id, kind} (see
  // ACCESS_CODE_PROBLEMS in api.mjs: failed_to_issue, failed_to_update, failed_to_expire,
  // code_constraints_violated, delay_in_issuing), with its event where the spec has one.
  "POST access_codes/problem": (sandbox, payload) => ({
    ok: true,
    access_code: addAccessCodeProblem(sandbox, payload.access_code_id, payload.kind),
  }),
  "GET config": (sandbox) => ({ ...sandbox.config }),
  "POST config": (sandbox, payload) => setConfig(sandbox, payload),
  "GET clock": (sandbox) => ({ now: new Date(sandboxNow(sandbox)).toISOString() }),
  // Move the sandbox clock forward by `seconds` and apply the access code schedules now due.
  "POST clock/advance": (sandbox, payload) => {
    const { seconds } = payload
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
      throw badRequest('"seconds" must be a non-negative number')
    }
    sandbox.config.clock_offset_s += seconds
    applyCodeSchedules(sandbox)
    return { ok: true, now: new Date(sandboxNow(sandbox)).toISOString() }
  },
  // Per-lock remote unlock behaviour: {device_id, relock_after_s: number | null} (null = the
  // lock never reports unlocked), or {device_id, relock_after_s: "stays"} to keep it unlocked.
  "POST devices/unlock_behavior": (sandbox, payload) => {
    const device_id = requireDeviceId(payload)
    findDeviceOr404(sandbox.world, device_id)
    const { relock_after_s } = payload
    if (!(relock_after_s === null || relock_after_s === "stays" ||
      (typeof relock_after_s === "number" && relock_after_s >= 0))) {
      throw badRequest('"relock_after_s" must be a number of seconds, null or "stays"')
    }
    sandbox.world.unlockBehavior.set(device_id, relock_after_s)
    return { ok: true, device_id, relock_after_s }
  },
  "GET faults": (sandbox) => ({ faults: sandbox.faults.list() }),
  "POST faults": (sandbox, payload) => ({ ok: true, fault: sandbox.faults.add(payload) }),
  "POST faults/clear": (sandbox) => {
    sandbox.faults.clear()
    return { ok: true }
  },
  "GET requests": (sandbox) => Object.fromEntries(sandbox.requestCounts),
  "POST requests/reset": (sandbox) => {
    sandbox.requestCounts.clear()
    return { ok: true }
  },
}

const parseForm = (req, rawBody) => {
  const text = rawBody.toString("utf8")
  if ((req.headers["content-type"] ?? "").includes("json")) {
    try {
      const parsed = JSON.parse(text || "{}")
      return parsed != null && typeof parsed === "object" ? parsed : {}
    } catch {
      return {}
    }
  }
  return Object.fromEntries(new URLSearchParams(text))
}

/** `subpath` is the part after "/_sandbox/", without a trailing slash. */
export const handleControl = async (sandbox, req, res, subpath, url, rawBody) => {
  if (subpath === "webview") {
    handleWebview(
      sandbox.world,
      req,
      res,
      url,
      req.method === "POST" ? parseForm(req, rawBody) : {},
      sandbox.config,
    )
    return
  }
  const method = req.method === "HEAD" ? "GET" : req.method
  const route = routes[`${method} ${subpath}`]
  if (route == null) {
    const exists = Object.keys(routes).some((key) => key.split(" ")[1] === subpath)
    if (exists) throw new HttpError(405, "method_not_allowed", `Method ${req.method} not allowed`)
    throw notFound("not_found", `Unknown sandbox endpoint /_sandbox/${subpath}`)
  }
  let payload = {}
  if (method === "POST" && rawBody.length > 0) {
    try {
      payload = JSON.parse(rawBody.toString("utf8"))
    } catch {
      throw badRequest("Invalid JSON")
    }
    requireObject(payload)
  }
  sendJson(res, 200, await route(sandbox, payload))
}
