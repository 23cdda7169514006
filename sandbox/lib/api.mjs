// Seam API routes the sandbox answers itself (instead of, or before, the fake).
// A handler returns DELEGATE to let the fake's own route answer.
import { createHash, randomInt } from "node:crypto"

import { addSaltoConnectedAccount } from "./state.mjs"
import { isLockDevice, isSaltoDevice, LOCK_DEVICE_TYPES, SALTO_PIN_LENGTHS, snapshotIssues } from "./devices.mjs"
import { badRequest, HttpError, MAX_TIMEOUT_MS, notFound, sendOk } from "./http.mjs"
import { webhookRoutes } from "./webhooks.mjs"

export const DELEGATE = Symbol("delegate")

const ATTEMPT_FAULTS = ["attempt_error", "attempt_pending"]

// ---------------------------------------------------------------- helpers

const ARRAY_PARAMS = new Set([
  "device_ids",
  "connected_account_ids",
  "device_types",
  "access_code_ids",
  "event_types",
  "between",
  "accepted_providers",
  "accepted_capabilities",
])

/** Query string -> params; arrays as `k=a&k=b`, `k[]=a` or `k=a,b`. */
const parseQuery = (searchParams) => {
  const out = {}
  for (const [rawKey, value] of searchParams) {
    const key = rawKey.endsWith("[]") ? rawKey.slice(0, -2) : rawKey
    if (ARRAY_PARAMS.has(key)) {
      const values = value === "" ? [] : value.split(",")
      out[key] = [...(out[key] ?? []), ...values]
    } else {
      out[key] = value
    }
  }
  return out
}

/** Params the way Seam reads them: query for GET, query + JSON body for POST. */
export const getParams = (ctx) => {
  const query = parseQuery(ctx.url.searchParams)
  if (ctx.method === "GET") return query
  if (typeof ctx.body === "string" && ctx.body.length > 0) {
    throw new HttpError(
      400,
      "invalid_content_type",
      `${ctx.method} requests must have Content-Type header with "application/json"`,
    )
  }
  if (ctx.body != null && (typeof ctx.body !== "object" || Array.isArray(ctx.body))) {
    throw badRequest("Request body must be a JSON object")
  }
  return { ...query, ...(ctx.body ?? {}) }
}

const requireString = (params, key) => {
  const value = params[key]
  if (typeof value !== "string" || value.length === 0) {
    throw badRequest(`${key} is required`)
  }
  return value
}

/** A 400 invalid_input for a parameter of the wrong type, with zod-formatted
 * validation_errors, as Seam's fake (@seamapi/fake-seam-connect) answers. */
const wrongType = (key, expected, value) => {
  const message = `Expected ${expected}, received ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value}`
  return new HttpError(400, "invalid_input", `${key}: ${message}`, {
    validation_errors: { _errors: [], [key]: { _errors: [message] } },
  })
}

const optionalString = (params, key) => {
  const value = params[key]
  if (value == null) return undefined
  if (typeof value !== "string") throw wrongType(key, "string", value)
  return value
}

const optionalArray = (params, key) => {
  const value = params[key]
  if (value == null) return undefined
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw badRequest(`Expected array of strings for "${key}"`)
  }
  return value
}

const parseBool = (value) => value === true || value === "true"

const parseTimestamp = (value, key) => {
  if (value == null) return undefined
  const date = new Date(value)
  if (typeof value !== "string" && typeof value !== "number") {
    throw badRequest(`Invalid timestamp for "${key}"`)
  }
  if (Number.isNaN(date.getTime())) throw badRequest(`Invalid timestamp for "${key}"`)
  return date
}

/** Same checks as the fake's withApiKey middleware. Returns the workspace_id. */
export const authenticate = (ctx) => {
  const header = ctx.req.headers.authorization
  if (header == null) throw new HttpError(401, "unauthorized", "No Authorization header")
  const token = header.split("Bearer ")[1]
  if (token == null || token === "") {
    throw new HttpError(401, "unauthorized", "No token provided")
  }
  const apiKey = ctx.world.db.getState().api_keys.find((k) => k.token === token)
  if (apiKey == null) throw new HttpError(401, "unauthorized", "API Key not found")
  return apiKey.workspace_id
}

const findDevice = (db, workspace_id, device_id) =>
  db.getState().devices.find((d) => d.device_id === device_id && d.workspace_id === workspace_id)

const requireAccessCode = (db, workspace_id, access_code_id) => {
  const code = db
    .getState()
    .access_codes.find((ac) => ac.access_code_id === access_code_id && ac.workspace_id === workspace_id)
  if (code == null) {
    throw notFound("access_code_not_found", "Could not find an access_code with device_id or access_code_id")
  }
  return code
}

const requireDevice = (db, workspace_id, device_id) => {
  const device = findDevice(db, workspace_id, device_id)
  if (device == null) throw notFound("device_not_found", "Device not found")
  return device
}

/** setTimeout that the world forgets about on reset; `null` delay = never. */
const schedule = (world, delayMs, fn) => {
  if (delayMs == null || delayMs > MAX_TIMEOUT_MS) return
  const timer = setTimeout(() => {
    world.timers.delete(timer)
    fn()
  }, delayMs)
  world.timers.add(timer)
}

const secondsToMs = (seconds) =>
  Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null

/** The sandbox clock (ms): real time plus the control API's clock offset. */
export const sandboxNow = (sandbox) => Date.now() + (sandbox.config.clock_offset_s ?? 0) * 1000

/**
 * Apply the access code schedules due by the sandbox clock. Runs before every API request,
 * every second, and when the clock moves.
 *
 * Salto KS codes are natively scheduled (low-level-apis/smart-locks/access-codes/index.mdx,
 * "Native Scheduling": "Seam will preload access codes onto the device a full 72 hours before
 * the starts_at timestamp of a time-bound code"; Salto is in its "Supported Providers" table):
 * - a future code waits, `unset` with `code: null`, until `native_scheduling_window_s` (72 h)
 *   before its start (the Salto guide, salto-locks/get-started-with-salto-locks.mdx, lists a
 *   code starting years later with `code: null`, `status: 'unset'`,
 *   `is_waiting_for_code_assignment: true`); then Salto's PIN is assigned and Seam emits
 *   `access_code.scheduled_on_device`, which carries `code` (spec: that event requires `code`);
 *   the code stays `unset` (lifecycle-of-access-codes.mdx, "1. unset": "the access code remains
 *   in an unset state until the starts_at time");
 * - at starts_at it goes `set` with `access_code.set_on_device` (same page, "3. set": "For
 *   natively scheduled codes, you can expect the access_code.set_on_device event to be emitted
 *   when the starts_at activation time is reached").
 * The switch `salto_pin_at_starts_at` (the other plausible behaviour, in no Seam document)
 * keeps the PIN back until starts_at: no scheduled_on_device, the PIN with set_on_device.
 *
 * Every time-bound code, of any lock, ends as lifecycle-of-access-codes.mdx says ("4.
 * removing": when "its ends_at time has been reached, Seam initiates the process to remove the
 * code from the device. The access code then transitions to the removing state"; "5.": "the
 * access code object is also deleted from Seam's database ... you will encounter a 404"):
 * see expireCode.
 */
export const applyCodeSchedules = (sandbox) => {
  const { world, config } = sandbox
  const db = world.db
  const now = sandboxNow(sandbox)
  for (const code of db.getState().access_codes) {
    if (code.type !== "time_bound" || code.ends_at == null || code.is_managed === false) continue
    const device = db.getState().devices.find((d) => d.device_id === code.device_id)
    if (Date.parse(code.ends_at) <= now) {
      expireCode(sandbox, code, device, now)
      continue
    }
    const startsAt = Date.parse(code.starts_at)
    if (
      isSaltoDevice(device) &&
      code.is_waiting_for_code_assignment &&
      world.codesWaitingForStart.has(code.access_code_id)
    ) {
      if (saltoLoadTime(config, startsAt) <= now) {
        world.codesWaitingForStart.delete(code.access_code_id)
        assignSaltoCode(sandbox, code.access_code_id)
      }
    } else if (
      !code.is_waiting_for_code_assignment &&
      code.is_scheduled_on_device &&
      code.status === "unset" &&
      startsAt <= now
    ) {
      db.updateAccessCode({ access_code_id: code.access_code_id, status: "set" })
      addCodeEvent(db, code, device, "access_code.set_on_device", { code: code.code }, sandbox)
    }
  }
}

/** When Salto loads a future code (and its PIN is known): see applyCodeSchedules. */
const saltoLoadTime = (config, startsAtMs) =>
  config.salto_pin_at_starts_at ? startsAtMs : startsAtMs - config.native_scheduling_window_s * 1000

/**
 * A time-bound code past its ends_at, by the control API's `expired_codes`:
 * - "delete" (lifecycle-of-access-codes.mdx, "4. removing" then "5. ... deleted from Seam"):
 *   `removing`, then after `code_removal_delay_s` the code is gone (404) with
 *   access_code.removed_from_device ("An access code was removed from a device", spec events);
 * - "keep": the change the same page announces ("Seam is modifying the behavior of access
 *   codes so they won't return a 404 error unless explicitly deleted by the API user"): the
 *   code stays listed, `unset` ("a deactivated or unused state, either before activation or
 *   after deliberate deactivation", spec access_code.status), with removed_from_device;
 * - "fail_removal": the removal fails and the code stays `removing` with the access code error
 *   `failed_to_remove_from_device` ("Failed to remove code from device", spec).
 */
const expireCode = (sandbox, code, device, now) => {
  const { world, config } = sandbox
  const db = world.db
  const id = code.access_code_id
  if (world.expiredCodes.has(id)) return
  world.expiredCodes.add(id)
  world.codesWaitingForStart.delete(id)
  const mode = config.expired_codes
  if (mode === "keep") {
    db.updateAccessCode({
      access_code_id: id,
      status: "unset",
      is_scheduled_on_device: false,
      is_waiting_for_code_assignment: false,
    })
    addCodeEvent(db, code, device, "access_code.removed_from_device", {}, sandbox)
    return
  }
  db.updateAccessCode({ access_code_id: id, status: "removing", is_waiting_for_code_assignment: false })
  if (mode === "fail_removal") {
    const created_at = new Date(now).toISOString()
    db.updateAccessCode({
      access_code_id: id,
      errors: [
        ...(code.errors ?? []),
        {
          error_code: "failed_to_remove_from_device",
          message: "Failed to remove code from device.",
          is_access_code_error: true,
          created_at,
        },
      ],
    })
    return
  }
  const remove = () => {
    if (!db.getState().access_codes.some((ac) => ac.access_code_id === id)) return
    db.deleteAccessCode(id)
    addCodeEvent(db, code, device, "access_code.removed_from_device", {}, sandbox)
  }
  const delayMs = secondsToMs(config.code_removal_delay_s) ?? 0
  if (delayMs === 0) remove()
  else schedule(world, delayMs, remove)
}

/**
 * An access_code.* event, created now by the sandbox clock (`sandbox` given: the schedules,
 * which follow that clock, so a client whose clock moves with it finds them), else real time.
 */
const addCodeEvent = (db, code, device, event_type, extra = {}, sandbox = null) => {
  const at = new Date(sandbox == null ? Date.now() : sandboxNow(sandbox)).toISOString()
  db.addEvent({
    ...extra,
    event_type,
    workspace_id: code.workspace_id,
    device_id: code.device_id,
    access_code_id: code.access_code_id,
    connected_account_id: device?.connected_account_id,
    created_at: at,
    occurred_at: at,
  })
}

// ---------------------------------------------------------------- devices

const queryHash = (filters) =>
  createHash("sha256")
    .update(JSON.stringify(Object.entries(filters).sort(([a], [b]) => (a < b ? -1 : 1))))
    .digest("hex")

const encodeCursor = (hash, device) =>
  Buffer.from(
    JSON.stringify([hash, { device_id: device.device_id, created_at: device.created_at }]),
    "utf8",
  ).toString("base64")

const decodeCursor = (cursor) => {
  try {
    const [hash, pointer] = JSON.parse(Buffer.from(cursor, "base64").toString("utf8"))
    if (typeof hash !== "string" || typeof pointer?.device_id !== "string") throw new Error()
    return { hash, pointer }
  } catch {
    throw badRequest("Invalid page_cursor")
  }
}

const compareDevices = (a, b) => {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1
  if (a.device_id === b.device_id) return 0
  return a.device_id < b.device_id ? -1 : 1
}

const listDevices = (ctx, { locksOnly }) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const filters = {
    device_ids: optionalArray(params, "device_ids"),
    connected_account_id: optionalString(params, "connected_account_id"),
    connected_account_ids: optionalArray(params, "connected_account_ids"),
    device_type: optionalString(params, "device_type"),
    device_types: optionalArray(params, "device_types"),
    manufacturer: optionalString(params, "manufacturer"),
    limit: params.limit == null ? 500 : Number(params.limit),
  }
  if (!Number.isInteger(filters.limit) || filters.limit <= 0) {
    throw badRequest('Expected positive integer for "limit"')
  }
  for (const key of Object.keys(filters)) if (filters[key] === undefined) delete filters[key]
  const hash = queryHash(filters)

  let devices = ctx.world.db.getState().devices.filter((d) => {
    if (d.workspace_id !== workspace_id || d.is_managed === false) return false
    if (locksOnly && !LOCK_DEVICE_TYPES.includes(d.device_type)) return false
    if (filters.device_ids != null && !filters.device_ids.includes(d.device_id)) return false
    if (filters.connected_account_id != null && d.connected_account_id !== filters.connected_account_id) return false
    if (filters.connected_account_ids != null && !filters.connected_account_ids.includes(d.connected_account_id)) return false
    if (filters.device_type != null && d.device_type !== filters.device_type) return false
    if (filters.device_types != null && !filters.device_types.includes(d.device_type)) return false
    if (filters.manufacturer != null && d.properties?.manufacturer !== filters.manufacturer) return false
    return true
  })
  devices = devices.sort(compareDevices)

  let start = 0
  const cursor = params.page_cursor
  if (cursor != null && cursor !== "") {
    const { hash: cursorHash, pointer } = decodeCursor(String(cursor))
    if (cursorHash !== hash) {
      throw badRequest(
        "When using next_page_cursor, the request must send parameters identical to the initial request.",
        "mismatched_page_parameters",
      )
    }
    const target = { created_at: pointer.created_at ?? "", device_id: pointer.device_id }
    start = devices.findIndex((d) => compareDevices(d, target) >= 0)
    if (start === -1) start = devices.length
  }
  const page = devices.slice(start, start + filters.limit)
  const next = devices[start + filters.limit]
  const next_page_cursor = next == null ? null : encodeCursor(hash, next)
  let next_page_url = null
  if (next_page_cursor != null) {
    const url = new URL(ctx.url.pathname, ctx.world.baseUrl)
    for (const [key, value] of Object.entries(filters)) {
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, v)
      else url.searchParams.set(key, String(value))
    }
    url.searchParams.set("page_cursor", next_page_cursor)
    next_page_url = url.toString()
  }
  const pagination = { has_next_page: next != null, next_page_cursor, next_page_url }
  return locksOnly ? { locks: page, devices: page, pagination } : { devices: page, pagination }
}

const getLock = (ctx) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const device_id = optionalString(params, "device_id")
  const name = optionalString(params, "name")
  if (!device_id && !name) throw badRequest("Either 'device_id' or 'name' is required")
  const device = ctx.world.db
    .getState()
    .devices.find(
      (d) =>
        d.workspace_id === workspace_id &&
        (device_id == null || d.device_id === device_id) &&
        (name == null || d.properties?.name === name),
    )
  if (device == null || !LOCK_DEVICE_TYPES.includes(device.device_type)) {
    throw notFound("device_not_found", "Device not found")
  }
  return { lock: device, device }
}

// ---------------------------------------------------------------- action attempts

const attemptSnapshot = (db, action_attempt_id) =>
  db.findActionAttempt({ action_attempt_id })

const finishAttempt = (db, action_attempt_id, outcome) => {
  if (outcome.error != null) {
    return db.updateActionAttempt({
      action_attempt_id,
      status: "error",
      result: null,
      error: outcome.error,
    })
  }
  return db.updateActionAttempt({
    action_attempt_id,
    status: "success",
    result: outcome.result ?? {},
    error: null,
  })
}

/**
 * Create an action attempt, then settle it via `run` (which returns
 * {error} or {result} and applies side effects) now or after the configured
 * delay. An attempt fault (attempt_error / attempt_pending, already taken by
 * the caller) short-circuits `run`.
 * Returns the response body.
 */
const runAttempt = (ctx, action_type, run, { sync, fault }) => {
  const { world, sandbox } = ctx
  const db = world.db
  const attempt = db.addActionAttempt({ action_type, status: "pending" })
  const initial = { ...attempt }

  const settle = () => {
    if (attemptSnapshot(db, attempt.action_attempt_id) == null) return
    if (fault?.kind === "attempt_pending") return
    if (fault?.kind === "attempt_error") {
      finishAttempt(db, attempt.action_attempt_id, {
        error: {
          type: fault.error_type ?? "uncategorized_error",
          message: fault.message ?? "The action failed (sandbox fault)",
        },
      })
      return
    }
    finishAttempt(db, attempt.action_attempt_id, run(attempt.action_attempt_id))
  }

  const delayMs = secondsToMs(sandbox.config.action_attempt_delay_s) ?? 0
  if (delayMs === 0) settle()
  else schedule(world, delayMs, settle)

  const final = attemptSnapshot(db, attempt.action_attempt_id) ?? initial
  return { action_attempt: sync ? final : initial }
}

const lockAction = (action) => (ctx) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const device_id = requireString(params, "device_id")
  const device = requireDevice(ctx.world.db, workspace_id, device_id)
  if (!isLockDevice(device)) {
    throw badRequest("Device is not a lock")
  }
  const locking = action === "lock"
  const action_type = locking ? "LOCK_DOOR" : "UNLOCK_DOOR"
  const fault = ctx.sandbox.faults.take(ctx.path, ATTEMPT_FAULTS)

  return runAttempt(
    ctx,
    action_type,
    (action_attempt_id) => {
      const db = ctx.world.db
      const current = findDevice(db, workspace_id, device_id)
      if (current == null) {
        return { error: { type: "device_not_found", message: "Device was removed" } }
      }
      if (current.properties?.online === false) {
        return {
          error: {
            type: "device_offline",
            message: `Device is offline; cannot ${action} it.`,
          },
        }
      }
      const allowed = locking ? current.can_remotely_lock : current.can_remotely_unlock
      if (allowed === false) {
        return {
          error: {
            type: "device_cannot_perform_requested_action",
            message: `This device cannot be ${locking ? "locked" : "unlocked"} remotely.`,
          },
        }
      }
      // After a remote unlock the lock stays unlocked until it reports otherwise (spec:
      // properties.locked). ASSUMPTIONS, in no Seam document, opt-in: a Salto KS web unlock
      // being momentary (control API config `salto_relock_after_s`: relock after that many
      // seconds), and per lock (devices/unlock_behavior) a relock after `relock_after_s`, or
      // never reporting the unlocked state (null).
      const behavior = ctx.world.unlockBehavior
      let relockAfter = "stays"
      if (!locking && behavior.has(device_id)) relockAfter = behavior.get(device_id)
      else if (!locking && isSaltoDevice(current) && ctx.sandbox.config.salto_relock_after_s != null) {
        relockAfter = ctx.sandbox.config.salto_relock_after_s
      }
      const setLocked = (locked, extra = {}) => {
        const properties = { locked }
        const latest = findDevice(db, workspace_id, device_id)
        if (latest == null) return
        if (latest.properties?.salto_ks_metadata != null) {
          properties.salto_ks_metadata = {
            ...latest.properties.salto_ks_metadata,
            locked_state: locked ? "locked" : "unlocked",
          }
        }
        db.updateDevice({ device_id, properties })
        const now = new Date().toISOString()
        db.addEvent({
          event_type: locked ? "lock.locked" : "lock.unlocked",
          workspace_id,
          device_id,
          connected_account_id: current.connected_account_id,
          created_at: now,
          occurred_at: now,
          ...extra,
        })
      }
      if (relockAfter !== null) {
        setLocked(locking, { action_attempt_id, method: "remote" })
      }
      if (relockAfter !== null && relockAfter !== "stays") {
        schedule(ctx.world, secondsToMs(relockAfter), () => setLocked(true, { method: "automatic" }))
      }
      return { result: {} }
    },
    { sync: parseBool(params.sync), fault },
  )
}

// ---------------------------------------------------------------- access codes

/** A PIN of one of `lengths` digits that no other code of the lock has. */
const generatePin = (db, device_id, lengths) => {
  const used = new Set(
    db.getState().access_codes.filter((ac) => ac.device_id === device_id).map((ac) => ac.code),
  )
  for (;;) {
    const length = lengths[randomInt(0, lengths.length)]
    const pin = Array.from({ length }, () => String(randomInt(0, 10))).join("")
    if (!used.has(pin)) return pin
  }
}

// Seam's Salto KS guide ("Access Code Limitations"): Salto generates 6-10 digit PINs.
const generateSaltoPin = (db, device_id) => generatePin(db, device_id, SALTO_PIN_LENGTHS)

/** A new access code in the store; spec: pending_mutations is required (none pending). */
const addAccessCode = (db, params) => db.addAccessCode({ pending_mutations: [], ...params })

/**
 * Salto assigns the PIN (see applyCodeSchedules): a code that has started goes `set` with
 * access_code.set_on_device; a future one is scheduled on the lock, `unset`, with
 * access_code.scheduled_on_device. Both events carry `code` (spec: required on both).
 */
const assignSaltoCode = (sandbox, access_code_id) => {
  const db = sandbox.world.db
  const code = db.getState().access_codes.find((ac) => ac.access_code_id === access_code_id)
  if (code == null || !code.is_waiting_for_code_assignment) return
  const now = sandboxNow(sandbox)
  const active = code.type !== "time_bound" || Date.parse(code.starts_at) <= now
  const assigned = db.updateAccessCode({
    access_code_id,
    code: generateSaltoPin(db, code.device_id),
    is_waiting_for_code_assignment: false,
    status: active ? "set" : "unset",
    // spec: is_scheduled_on_device, "the code is set on the device according to a
    // preconfigured schedule" (a time-bound code only).
    is_scheduled_on_device: code.type === "time_bound",
  })
  const device = db.getState().devices.find((d) => d.device_id === code.device_id)
  const event = active ? "access_code.set_on_device" : "access_code.scheduled_on_device"
  addCodeEvent(db, code, device, event, { code: assigned.code }, sandbox)
  // spec 1.1038.0, event access_code.issued ("An access code was issued", carries `code`):
  // marked "Unreleased" there, so only with the control API's `emit_issued_event`.
  if (sandbox.config.emit_issued_event) {
    addCodeEvent(db, code, device, "access_code.issued", { code: assigned.code }, sandbox)
  }
  clearIssuingProblems(db, access_code_id)
}

// spec 1.1038.0: the error failed_to_issue and the warning delay_in_issuing "clear
// automatically" once the code is issued.
const ISSUING_PROBLEMS = new Set(["failed_to_issue", "delay_in_issuing"])

const clearIssuingProblems = (db, access_code_id) => {
  const code = db.getState().access_codes.find((ac) => ac.access_code_id === access_code_id)
  if (code == null) return
  db.updateAccessCode({
    access_code_id,
    errors: (code.errors ?? []).filter((e) => !ISSUING_PROBLEMS.has(e.error_code)),
    warnings: (code.warnings ?? []).filter((w) => !ISSUING_PROBLEMS.has(w.warning_code)),
  })
}

/**
 * Problems Seam's spec 1.1038.0 adds to access codes (control API access_codes/problem): the
 * access code error or warning (spec: access_code.errors[] / .warnings[]) and, where the spec
 * has one, its event, which carries snapshots of the code's, device's and account's errors and
 * warnings (required by the spec). All are marked "Unreleased" there except
 * code_constraints_violated ("will not be retried until you change it"), which has no event.
 */
export const ACCESS_CODE_PROBLEMS = {
  failed_to_issue: { field: "errors", event: "access_code.failed_to_issue", message: "Seam was unable to issue this access code before its start time." },
  failed_to_update: { field: "errors", event: "access_code.failed_to_update", message: "Seam was unable to apply this access code's requested update to the device." },
  failed_to_expire: { field: "errors", event: "access_code.failed_to_expire", message: "This access code is still active on the device even though its ends_at has passed." },
  code_constraints_violated: { field: "errors", event: null, message: "The code violates the device's code constraints." },
  delay_in_issuing: { field: "warnings", event: "access_code.delay_in_issuing", message: "Seam has not yet issued this access code, even though its start time is approaching." },
}

export const addAccessCodeProblem = (sandbox, access_code_id, kind) => {
  const db = sandbox.world.db
  const code = db.getState().access_codes.find((ac) => ac.access_code_id === access_code_id)
  if (code == null) throw notFound("access_code_not_found", `No access code ${access_code_id}`)
  const problem = ACCESS_CODE_PROBLEMS[kind]
  if (problem == null) throw badRequest(`"kind" must be one of ${Object.keys(ACCESS_CODE_PROBLEMS).join(", ")}`)
  const created_at = new Date(sandboxNow(sandbox)).toISOString()
  const item =
    problem.field === "errors"
      ? { error_code: kind, message: problem.message, is_access_code_error: true, created_at }
      : { warning_code: kind, message: problem.message, created_at }
  const updated = db.updateAccessCode({ access_code_id, [problem.field]: [...(code[problem.field] ?? []), item] })
  const device = db.getState().devices.find((d) => d.device_id === code.device_id)
  const account = db.getState().connected_accounts.find((a) => a.connected_account_id === device?.connected_account_id)

  if (problem.event != null) {
    addCodeEvent(db, code, device, problem.event, {
      access_code_errors: snapshotIssues(updated.errors),
      access_code_warnings: snapshotIssues(updated.warnings),
      device_errors: snapshotIssues(device?.errors),
      device_warnings: snapshotIssues(device?.warnings),
      connected_account_errors: snapshotIssues(account?.errors),
      connected_account_warnings: snapshotIssues(account?.warnings),
    }, sandbox)
  }
  return updated
}

/** Wait for Salto's PIN of a new or moved code: see applyCodeSchedules. */
const awaitSaltoPin = (sandbox, access_code_id, startsAt) => {
  const { world, config } = sandbox
  const now = sandboxNow(sandbox)
  if (startsAt != null && saltoLoadTime(config, startsAt.getTime()) > now) {
    world.codesWaitingForStart.add(access_code_id)
    return "unset"
  }
  world.codesWaitingForStart.delete(access_code_id)
  schedule(world, secondsToMs(config.salto_code_delay_s), () => assignSaltoCode(sandbox, access_code_id))
  return startsAt != null && startsAt.getTime() > now ? "unset" : "setting"
}

/**
 * access_codes/create. Spec: the 200 body requires `action_attempt` (variant
 * CREATE_ACCESS_CODE, whose success result is {access_code}) besides `access_code`; Seam
 * creates the code at once, so the attempt is a success.
 * Salto KS locks: Salto generates the PIN (Salto KS guide, "Access Code Limitations"), later
 * (applyCodeSchedules). Other locks: the given code, or one Seam picks at once, of a length
 * in the lock's supported_code_lengths (access-code-requirements-for-door-locks.mdx: "the
 * various lengths (in terms of digits) allowed for a PIN code").
 */
const createAccessCode = (ctx) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const device_id = requireString(params, "device_id")
  const db = ctx.world.db
  const device = requireDevice(db, workspace_id, device_id)
  const salto = isSaltoDevice(device)
  const requested = optionalString(params, "code")
  if (salto && requested != null) {
    throw badRequest(
      "Salto KS locks do not accept a custom code: Salto generates the PIN. Omit `code` and read it once assigned.",
    )
  }
  const name = optionalString(params, "name") ?? "New Access Code"
  const starts_at = parseTimestamp(params.starts_at, "starts_at")
  const ends_at = parseTimestamp(params.ends_at, "ends_at")
  if ((starts_at == null) !== (ends_at == null)) {
    throw badRequest("Both starts_at and ends_at must be provided if one is")
  }
  if (starts_at != null && ends_at <= starts_at) {
    throw badRequest("ends_at must be after starts_at")
  }
  if (requested != null && db.getState().access_codes.some((ac) => ac.device_id === device_id && ac.code === requested)) {
    // As the fake (and Seam's access code error duplicate_code_on_device) does.
    throw new HttpError(409, "duplicate_access_code", `Cannot set duplicate access code named ${name}`)
  }
  const lengths = device.properties?.supported_code_lengths ?? []
  const times =
    starts_at != null
      ? { type: "time_bound", starts_at: starts_at.toISOString(), ends_at: ends_at.toISOString() }
      : { type: "ongoing" }
  const access_code = addAccessCode(db, {
    device_id,
    name,
    workspace_id,
    pulled_backup_access_code_id: null,
    is_scheduled_on_device: false,
    ...times,
    ...(salto
      ? { code: null, status: "setting", is_waiting_for_code_assignment: true }
      : {
          code: requested ?? generatePin(db, device_id, lengths.length > 0 ? lengths : [4]),
          // A future code waits on the lock, `unset`, and goes `set` at starts_at
          // (applyCodeSchedules), as lifecycle-of-access-codes.mdx describes.
          ...(starts_at != null && starts_at.getTime() > sandboxNow(ctx.sandbox)
            ? { status: "unset", is_scheduled_on_device: true }
            : { status: "set" }),
          is_waiting_for_code_assignment: false,
        }),
  })
  addCodeEvent(db, access_code, device, "access_code.created")
  if (salto) {
    const status = awaitSaltoPin(ctx.sandbox, access_code.access_code_id, starts_at)
    db.updateAccessCode({ access_code_id: access_code.access_code_id, status })
  }
  const created = db.getState().access_codes.find((ac) => ac.access_code_id === access_code.access_code_id)
  const { action_attempt_id } = db.addActionAttempt({ action_type: "CREATE_ACCESS_CODE" })
  const action_attempt = finishAttempt(db, action_attempt_id, { result: { access_code: created } })
  return { access_code: created, action_attempt }
}

/**
 * access_codes/update returns an UPDATE_ACCESS_CODE action attempt (spec, access_codes/update
 * response: action_attempt). A rename keeps the code's type; `type: "ongoing"` turns a
 * time-bound code into an ongoing one (spec: "type ... ongoing"); starts_at with ends_at makes
 * it time-bound. (The fake turns every update without times into an ongoing code.)
 */
const updateAccessCode = (ctx) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const db = ctx.world.db
  const access_code_id = requireString(params, "access_code_id")
  const code = requireAccessCode(db, workspace_id, access_code_id)
  const device = findDevice(db, workspace_id, code.device_id)
  if (isSaltoDevice(device) && params.code != null && params.code !== code.code) {
    throw badRequest(
      "Salto KS locks do not accept a custom code: Salto generates the PIN.",
    )
  }
  const name = optionalString(params, "name")
  const type = optionalString(params, "type")
  if (type != null && type !== "ongoing" && type !== "time_bound") {
    throw badRequest('"type" must be "ongoing" or "time_bound"')
  }
  const starts_at = parseTimestamp(params.starts_at, "starts_at")
  const ends_at = parseTimestamp(params.ends_at, "ends_at")
  if (type === "ongoing" && (starts_at != null || ends_at != null)) {
    throw badRequest("An ongoing access code has no starts_at or ends_at")
  }
  if (type === "time_bound" && (starts_at ?? code.starts_at) == null) {
    throw badRequest("'time_bound' Access codes must include both starts_at and ends_at")
  }
  const fault = ctx.sandbox.faults.take(ctx.path, ATTEMPT_FAULTS)
  return runAttempt(
    ctx,
    "UPDATE_ACCESS_CODE",
    () => {
      const current = db.getState().access_codes.find((ac) => ac.access_code_id === access_code_id)
      if (current == null) {
        return { error: { type: "access_code_not_found", message: "Access code was deleted" } }
      }
      const patch = { access_code_id }
      if (name != null) patch.name = name
      if (type === "ongoing") {
        Object.assign(patch, { type: "ongoing", starts_at: null, ends_at: null })
      } else if (starts_at != null || ends_at != null) {
        Object.assign(patch, {
          type: "time_bound",
          starts_at: (starts_at ?? new Date(current.starts_at)).toISOString(),
          ends_at: (ends_at ?? new Date(current.ends_at)).toISOString(),
        })
      }
      db.updateAccessCode(patch)
      if (patch.type != null) ctx.world.expiredCodes.delete(access_code_id) // new times: a new end
      if (isSaltoDevice(device) && current.is_waiting_for_code_assignment) {
        const starts = patch.type === "ongoing" ? null : (patch.starts_at ?? current.starts_at)
        const startsAt = starts == null ? null : new Date(starts)
        db.updateAccessCode({ access_code_id, status: awaitSaltoPin(ctx.sandbox, access_code_id, startsAt) })
      }
      addCodeEvent(db, current, device, "access_code.changed")
      return { result: {} }
    },
    { sync: parseBool(params.sync), fault },
  )
}

const listAccessCodes = (ctx) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const device_id = optionalString(params, "device_id")
  const access_code_ids = optionalArray(params, "access_code_ids")
  if (!device_id && access_code_ids == null) {
    throw badRequest("Either 'device_id' or 'access_code_ids' is required")
  }
  if (device_id) requireDevice(ctx.world.db, workspace_id, device_id)
  const access_codes = ctx.world.db
    .getState()
    .access_codes.filter(
      (ac) =>
        ac.workspace_id === workspace_id &&
        !(ac.is_backup ?? false) &&
        ac.is_managed !== false &&
        (device_id == null || ac.device_id === device_id) &&
        (access_code_ids == null || access_code_ids.includes(ac.access_code_id)),
    )
  // spec: access_codes/list 200 requires `pagination`; the sandbox answers in one page.
  return { access_codes, pagination: LAST_PAGE }
}

/** spec: components.schemas.pagination (required: next_page_cursor, has_next_page, next_page_url). */
const LAST_PAGE = Object.freeze({ has_next_page: false, next_page_cursor: null, next_page_url: null })

// ---------------------------------------------------------------- connected accounts

/** connected_accounts/list (spec: the 200 body requires connected_accounts and pagination). */
const listConnectedAccounts = (ctx) => {
  const workspace_id = authenticate(ctx)
  getParams(ctx)
  const connected_accounts = ctx.world.db
    .getState()
    .connected_accounts.filter((account) => account.workspace_id === workspace_id)
  return { connected_accounts, pagination: LAST_PAGE }
}

/** connected_accounts/get by connected_account_id (spec: 404 connected_account_not_found). */
const getConnectedAccount = (ctx) => {
  const workspace_id = authenticate(ctx)
  const connected_account_id = requireString(getParams(ctx), "connected_account_id")
  const connected_account = ctx.world.db
    .getState()
    .connected_accounts.find(
      (account) => account.workspace_id === workspace_id && account.connected_account_id === connected_account_id,
    )
  if (connected_account == null) throw notFound("connected_account_not_found", "Connected account not found")
  return { connected_account }
}

const deleteAccessCode = (ctx) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const access_code_id = requireString(params, "access_code_id")
  const db = ctx.world.db
  requireAccessCode(db, workspace_id, access_code_id)
  const fault = ctx.sandbox.faults.take(ctx.path, ATTEMPT_FAULTS)
  if (fault?.kind === "attempt_pending") db.updateAccessCode({ access_code_id, status: "removing" })
  return runAttempt(
    ctx,
    "DELETE_ACCESS_CODE",
    () => {
      const current = db.getState().access_codes.find((ac) => ac.access_code_id === access_code_id)
      if (current == null) return { result: {} }
      db.deleteAccessCode(access_code_id)
      const device = db.getState().devices.find((d) => d.device_id === current.device_id)
      db.addEvent({
        event_type: "access_code.deleted",
        workspace_id,
        device_id: current.device_id,
        access_code_id,
        code: current.code ?? null, // spec: the access_code.deleted event requires `code`
        connected_account_id: device?.connected_account_id,
      })
      return { result: {} }
    },
    { sync: parseBool(params.sync), fault },
  )
}

/**
 * access_codes/unmanaged/get (spec): a code made outside Seam (e.g. in the Salto app). The
 * sandbox keeps them as access codes with is_managed false (control API events/add can
 * reference them).
 */
const getUnmanagedAccessCode = (ctx) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const access_code_id = requireString(params, "access_code_id")
  const code = ctx.world.db
    .getState()
    .access_codes.find(
      (ac) =>
        ac.access_code_id === access_code_id &&
        ac.workspace_id === workspace_id &&
        ac.is_managed === false,
    )
  if (code == null) {
    throw notFound("access_code_not_found", "Could not find an unmanaged access_code")
  }
  return { access_code: code }
}

/** access_codes/get answers managed codes only (unmanaged ones: access_codes/unmanaged/get). */
const getManagedAccessCode = (ctx) => {
  const workspace_id = authenticate(ctx)
  const access_code_id = optionalString(getParams(ctx), "access_code_id")
  if (access_code_id != null) {
    const code = requireAccessCode(ctx.world.db, workspace_id, access_code_id)
    if (code.is_managed === false) {
      throw notFound("access_code_not_found", "Could not find an access_code with device_id or access_code_id")
    }
  }
  return DELEGATE
}

// ---------------------------------------------------------------- events

const listEvents = (ctx) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const since = parseTimestamp(params.since, "since")
  const between = optionalArray(params, "between")
  if (since == null && between == null) throw badRequest("Must specify either since or between")
  if (since != null && between != null) throw badRequest("Cannot specify both since and between")
  let start = since
  let end
  if (between != null) {
    if (between.length !== 2) throw badRequest('Expected two timestamps for "between"')
    start = parseTimestamp(between[0], "between")
    end = parseTimestamp(between[1], "between")
  }
  const one = (key) => optionalString(params, key)
  const many = (key) => optionalArray(params, key)
  const device_id = one("device_id")
  const device_ids = many("device_ids")
  const access_code_id = one("access_code_id")
  const access_code_ids = many("access_code_ids")
  const event_type = one("event_type")
  const event_types = many("event_types")
  const connected_account_id = one("connected_account_id")
  // Spec, events/list: limit "Maximum number of events to return", default 500.
  const limit = params.limit == null ? 500 : Number(params.limit)
  if (!Number.isInteger(limit) || limit <= 0) {
    throw badRequest('Expected positive integer for "limit"')
  }

  let events = ctx.world.db.getState().events.filter((e) => {
    if (e.workspace_id !== workspace_id) return false
    const created = new Date(e.created_at)
    if (start != null && !(created > start)) return false
    if (end != null && !(created < end)) return false
    if (event_type != null && e.event_type !== event_type) return false
    if (event_types != null && !event_types.includes(e.event_type)) return false
    if (device_id != null && e.device_id !== device_id) return false
    if (device_ids != null && !device_ids.includes(e.device_id)) return false
    if (access_code_id != null && e.access_code_id !== access_code_id) return false
    if (access_code_ids != null && !access_code_ids.includes(e.access_code_id)) return false
    if (connected_account_id != null && e.connected_account_id !== connected_account_id) return false
    return true
  })
  // Seam documents no order: "desc" (newest first) or "asc" by the control API's events_order.
  const sign = ctx.sandbox.config.events_order === "asc" ? 1 : -1
  events = [...events].sort((a, b) => {
    if (a.created_at === b.created_at) return a.event_id < b.event_id ? -sign : sign
    return a.created_at < b.created_at ? -sign : sign
  })
  return { events: events.slice(0, limit) }
}

// ---------------------------------------------------------------- connect webviews

const createConnectWebview = (ctx) => {
  const workspace_id = authenticate(ctx)
  const params = getParams(ctx)
  const accepted_providers = optionalArray(params, "accepted_providers")
  const db = ctx.world.db
  const webview = db.addConnectWebview({
    workspace_id,
    accepted_providers: accepted_providers ?? ["salto_ks"],
    custom_redirect_url: optionalString(params, "custom_redirect_url"),
    custom_redirect_failure_url: optionalString(params, "custom_redirect_failure_url"),
    device_selection_mode: optionalString(params, "device_selection_mode"),
    custom_metadata: params.custom_metadata,
    automatically_manage_new_devices:
      params.automatically_manage_new_devices == null
        ? undefined
        : parseBool(params.automatically_manage_new_devices),
    wait_for_device_creation:
      params.wait_for_device_creation == null ? undefined : parseBool(params.wait_for_device_creation),
    accepted_capabilities: optionalArray(params, "accepted_capabilities"),
  })
  const token = ctx.newToken()
  ctx.world.webviewTokens.set(webview.connect_webview_id, token)
  const url = new URL("/_sandbox/webview", ctx.world.baseUrl)
  url.searchParams.set("connect_webview_id", webview.connect_webview_id)
  url.searchParams.set("auth_token", token)
  db.updateConnectWebview({
    connect_webview_id: webview.connect_webview_id,
    url: url.toString(),
    selected_provider: null,
    authorized_at: null,
  })
  const connect_webview = db
    .getState()
    .connect_webviews.find((cw) => cw.connect_webview_id === webview.connect_webview_id)
  return { connect_webview }
}

/**
 * Called by the webview page after a good login. The connected account exists at once; its
 * locks appear when its first sync ends, with the event connected_account.completed_first_sync
 * (spec, connect_webviews/create.wait_for_device_creation, default false: without it Seam
 * completes the webview before the devices are synced). With wait_for_device_creation, or
 * firstSyncDelayS 0, the locks are there when the webview is authorized.
 */
export const authorizeConnectWebview = (world, connect_webview_id, { buildDevices, firstSyncDelayS = 0 }) => {
  const db = world.db
  const webview = db
    .getState()
    .connect_webviews.find((cw) => cw.connect_webview_id === connect_webview_id)
  if (webview == null) throw new Error("unknown webview")
  if (webview.status === "authorized") return webview
  world.counters.webviewAccounts += 1
  const n = world.counters.webviewAccounts
  const connected_account_id = `salto_ks_webview_account_${n}`
  addSaltoConnectedAccount(db, {
    connected_account_id,
    email: "jane@example.com",
    workspace_id: webview.workspace_id,
  })
  const base = { workspace_id: webview.workspace_id, connected_account_id }
  const syncDevices = () => {
    const devices = buildDevices({ n, connected_account_id, workspace_id: webview.workspace_id })
    db.setState({ devices: [...db.getState().devices, ...devices] })
    for (const device of devices) {
      db.addEvent({ event_type: "device.connected", ...base, device_id: device.device_id })
    }
    db.addEvent({ event_type: "connected_account.completed_first_sync", ...base })
  }
  const delayMs = webview.wait_for_device_creation ? 0 : secondsToMs(firstSyncDelayS) ?? 0
  if (delayMs === 0) syncDevices()
  const now = new Date().toISOString()
  db.updateConnectWebview({
    connect_webview_id,
    status: "authorized",
    login_successful: true,
    connected_account_id,
    selected_provider: "salto_ks",
    authorized_at: now,
  })
  db.addEvent({ event_type: "connect_webview.login_succeeded", ...base, connect_webview_id })
  db.addEvent({ event_type: "connected_account.connected", ...base, connect_webview_id })
  if (delayMs > 0) schedule(world, delayMs, syncDevices)
  return db.getState().connect_webviews.find((cw) => cw.connect_webview_id === connect_webview_id)
}

// ---------------------------------------------------------------- routing

const webhookRoute = (name) => (ctx) => {
  const workspace_id = authenticate(ctx)
  return webhookRoutes[name]({ ...ctx, workspace_id }, getParams(ctx))
}

const routes = {
  "/devices/list": { methods: ["GET", "POST"], handler: (ctx) => listDevices(ctx, { locksOnly: false }) },
  "/locks/list": { methods: ["GET", "POST"], handler: (ctx) => listDevices(ctx, { locksOnly: true }) },
  "/locks/get": { methods: ["GET", "POST"], handler: getLock },
  "/locks/lock_door": { methods: ["POST"], handler: lockAction("lock") },
  "/locks/unlock_door": { methods: ["POST"], handler: lockAction("unlock") },
  "/access_codes/create": { methods: ["POST"], handler: createAccessCode },
  "/access_codes/update": { methods: ["POST", "PATCH"], handler: updateAccessCode },
  "/access_codes/list": { methods: ["GET", "POST"], handler: listAccessCodes },
  "/access_codes/delete": { methods: ["POST", "DELETE"], handler: deleteAccessCode },
  "/events/list": { methods: ["GET", "POST"], handler: listEvents },
  "/connect_webviews/create": { methods: ["POST"], handler: createConnectWebview },
  // Spec methods: create POST; list and get GET/POST; delete DELETE/POST (see webhooks.mjs).
  "/webhooks/create": { methods: ["POST"], handler: webhookRoute("create") },
  "/webhooks/list": { methods: ["GET", "POST"], handler: webhookRoute("list") },
  "/webhooks/get": { methods: ["GET", "POST"], handler: webhookRoute("get") },
  "/webhooks/delete": { methods: ["POST", "DELETE"], handler: webhookRoute("delete") },
  "/access_codes/unmanaged/get": { methods: ["GET", "POST"], handler: getUnmanagedAccessCode },
  "/access_codes/get": { methods: ["GET", "POST"], handler: getManagedAccessCode },
  "/connected_accounts/list": { methods: ["GET", "POST"], handler: listConnectedAccounts },
  "/connected_accounts/get": { methods: ["GET", "POST"], handler: getConnectedAccount },
}

/**
 * Answer an API request with a sandbox route, or return DELEGATE.
 * Throws HttpError for Seam-style errors.
 */
export const handleApiRoute = (ctx) => {
  applyCodeSchedules(ctx.sandbox)
  const route = routes[ctx.path]
  if (route == null) return DELEGATE
  if (!route.methods.includes(ctx.method)) {
    throw new HttpError(405, "method_not_allowed", `only ${route.methods.join(",")} accepted`)
  }
  const result = route.handler(ctx)
  if (result === DELEGATE) return DELEGATE
  sendOk(ctx.res, result, { "seam-request-id": ctx.world.db.getNextRequestId() })
  return undefined
}
