// Seam webhooks in the sandbox: the /webhooks/* routes and Svix-signed deliveries of the
// events the sandbox emits, with retries and control-API switches for delivery faults.
//
// Sources (every behaviour below names the one it follows):
// - Spec: npm @seamapi/types 1.977.0, lib/seam/connect/openapi.js, paths /webhooks/create,
//   /webhooks/list, /webhooks/get, /webhooks/delete and components.schemas.webhook
//   ({webhook_id, url, event_types, secret}).
// - Seam docs, developer-tools/webhooks.mdx: "We use webhooks from Svix"; "Retry Schedule for
//   Webhooks: Immediately, 5 seconds, 5 minutes, 30 minutes, 2 hours, 5 hours, 10 hours,
//   10 hours"; "If you remove or disable a webhook, delivery attempts to the endpoint are
//   disabled as well".
// - Seam's Python SDK, seam/seam_webhook.py: the delivery body is the event object itself
//   (`seam_event_from_dict(webhook.verify(payload, headers))`), verified with svix.
// - Svix (standardwebhooks, what svix.webhooks.Webhook runs): headers svix-id, svix-timestamp
//   (Unix seconds), svix-signature = space-separated "v1,<base64 HMAC-SHA256>" over
//   "<svix-id>.<svix-timestamp>.<body>" keyed with the base64-decoded secret after "whsec_".
import { createHmac, randomBytes } from "node:crypto"
import http from "node:http"
import https from "node:https"

import { badRequest, HttpError, MAX_TIMEOUT_MS } from "./http.mjs"

// Svix: seconds after each failed attempt before the next (Seam docs, retry schedule above).
export const RETRY_SCHEDULE_S = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
// Svix gives an endpoint 15 s to answer ("Svix will wait 15 seconds", docs.svix.com/retries).
const DELIVERY_TIMEOUT_MS = 15_000
const FAULT_KINDS = new Set(["drop", "delay", "duplicate", "reorder", "bad_signature", "fail"])

// The event types of the spec's components.schemas.event.oneOf[*].event_type (1.977.0).
// webhooks/create refuses other names (the fake answers 400 invalid_event_types as well).
export const SEAM_EVENT_TYPES = new Set([
  "access_code.created", "access_code.changed", "access_code.name_changed",
  "access_code.code_changed", "access_code.time_frame_changed", "access_code.mutations_requested",
  "access_code.scheduled_on_device", "access_code.set_on_device", "access_code.removed_from_device",
  "access_code.delay_in_setting_on_device", "access_code.failed_to_set_on_device",
  "access_code.deleted", "access_code.delay_in_removing_from_device",
  "access_code.failed_to_remove_from_device", "access_code.modified_external_to_seam",
  "access_code.deleted_external_to_seam", "access_code.backup_access_code_pulled",
  "access_code.unmanaged.converted_to_managed",
  "access_code.unmanaged.failed_to_convert_to_managed", "access_code.unmanaged.created",
  "access_code.unmanaged.removed", "access_grant.created", "access_grant.deleted",
  "access_grant.access_granted_to_all_doors", "access_grant.access_granted_to_door",
  "access_grant.access_to_door_lost", "access_grant.access_times_changed",
  "access_grant.could_not_create_requested_access_methods", "access_method.issued",
  "access_method.revoked", "access_method.card_encoding_required", "access_method.deleted",
  "access_method.reissued", "access_method.created", "access_method.delay_in_issuing",
  "access_method.failed_to_issue", "acs_system.connected", "acs_system.added",
  "acs_system.disconnected", "acs_credential.deleted", "acs_credential.issued",
  "acs_credential.reissued", "acs_credential.invalidated", "acs_user.created", "acs_user.deleted",
  "acs_encoder.added", "acs_encoder.removed", "acs_access_group.deleted", "acs_entrance.added",
  "acs_entrance.removed", "client_session.deleted", "connected_account.connected",
  "connected_account.created", "connected_account.successful_login",
  "connected_account.disconnected", "connected_account.completed_first_sync",
  "connected_account.deleted", "connected_account.completed_first_sync_after_reconnection",
  "connected_account.reauthorization_requested", "action_attempt.lock_door.succeeded",
  "action_attempt.lock_door.failed", "action_attempt.unlock_door.succeeded",
  "action_attempt.unlock_door.failed", "action_attempt.simulate_keypad_code_entry.succeeded",
  "action_attempt.simulate_keypad_code_entry.failed",
  "action_attempt.simulate_manual_lock_via_keypad.succeeded",
  "action_attempt.simulate_manual_lock_via_keypad.failed", "connect_webview.login_succeeded",
  "connect_webview.login_failed", "device.connected", "device.added",
  "device.converted_to_unmanaged", "device.unmanaged.converted_to_managed",
  "device.unmanaged.connected", "device.disconnected", "device.unmanaged.disconnected",
  "device.tampered", "device.low_battery", "device.battery_status_changed", "device.removed",
  "device.deleted", "device.third_party_integration_detected",
  "device.third_party_integration_no_longer_detected", "device.salto.privacy_mode_activated",
  "device.salto.privacy_mode_deactivated", "device.connection_became_flaky",
  "device.connection_stabilized", "device.error.subscription_required",
  "device.error.subscription_required.resolved", "device.accessory_keypad_connected",
  "device.accessory_keypad_disconnected", "noise_sensor.noise_threshold_triggered", "lock.locked",
  "lock.unlocked", "lock.access_denied", "thermostat.climate_preset_activated",
  "thermostat.manually_adjusted", "thermostat.temperature_threshold_exceeded",
  "thermostat.temperature_threshold_no_longer_exceeded", "thermostat.temperature_reached_set_point",
  "thermostat.temperature_changed", "device.name_changed", "camera.activated",
  "device.doorbell_rang", "enrollment_automation.deleted", "phone.deactivated",
  "space.device_membership_changed", "space.created", "space.deleted",
])

const requireString = (params, key) => {
  const value = params[key]
  if (typeof value !== "string" || value === "") throw badRequest(`${key} is required`)
  return value
}

/** A secret in Svix's format: "whsec_" + base64 of random bytes (the SDK's svix decodes it). */
const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`

const publicWebhook = ({ webhook_id, url, event_types, secret }) => ({
  webhook_id,
  url,
  event_types,
  secret,
})

const webhooksOf = (world, workspace_id) =>
  world.db.getState().webhooks.filter((w) => w._workspace_id === workspace_id)

const requireWebhook = (world, workspace_id, webhook_id) => {
  const webhook = webhooksOf(world, workspace_id).find((w) => w.webhook_id === webhook_id)
  // Same error as the fake's own webhooks/get and /delete: 404 webhook_not_found.
  if (webhook == null) throw new HttpError(404, "webhook_not_found", "webhook not found")
  return webhook
}

/** The /webhooks/* routes; `ctx.workspace_id` is the caller's workspace. */
export const webhookRoutes = {
  // Spec: /webhooks/create {url (required, format uri), event_types (default ["*"])} -> {webhook}.
  create: (ctx, params) => {
    const url = requireString(params, "url")
    let parsed
    try {
      parsed = new URL(url)
    } catch {
      throw badRequest('"url" must be a URL')
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw badRequest('"url" must be an http(s) URL')
    }
    const event_types = params.event_types ?? ["*"]
    if (!Array.isArray(event_types) || event_types.some((t) => typeof t !== "string")) {
      throw badRequest('Expected array of strings for "event_types"')
    }
    if (event_types.some((t) => t !== "*" && !SEAM_EVENT_TYPES.has(t))) {
      throw badRequest("Invalid event types", "invalid_event_types")
    }
    const { db } = ctx.world
    const created = db.addWebhook({ url, workspace_id: ctx.workspace_id, event_types })
    const webhook = { ...created, secret: newSecret() }
    db.setState({
      webhooks: db.getState().webhooks.map((w) => (w.webhook_id === webhook.webhook_id ? webhook : w)),
    })
    return { webhook: publicWebhook(webhook) }
  },
  // Spec: /webhooks/list (no parameters) -> {webhooks}.
  list: (ctx) => ({ webhooks: webhooksOf(ctx.world, ctx.workspace_id).map(publicWebhook) }),
  // Spec: /webhooks/get {webhook_id} -> {webhook}.
  get: (ctx, params) => ({
    webhook: publicWebhook(requireWebhook(ctx.world, ctx.workspace_id, requireString(params, "webhook_id"))),
  }),
  // Spec: /webhooks/delete {webhook_id} -> {} (ok).
  delete: (ctx, params) => {
    const webhook = requireWebhook(ctx.world, ctx.workspace_id, requireString(params, "webhook_id"))
    ctx.world.db.deleteWebhook(webhook.webhook_id)
    return {}
  },
}

// ---------------------------------------------------------------- signing and sending

/** svix-signature for one secret: "v1,<base64 HMAC-SHA256(id.timestamp.body)>". */
export const svixSignature = (secret, msgId, timestamp, body) => {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64")
  const digest = createHmac("sha256", key).update(`${msgId}.${timestamp}.${body}`).digest("base64")
  return `v1,${digest}`
}

const post = (url, headers, body) =>
  new Promise((resolve) => {
    const target = new URL(url)
    const transport = target.protocol === "https:" ? https : http
    const request = transport.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: DELIVERY_TIMEOUT_MS,
      },
      (response) => {
        response.resume()
        response.on("end", () => resolve(response.statusCode))
        response.on("error", () => resolve(0))
      },
    )
    request.on("timeout", () => request.destroy(new Error("timeout")))
    request.on("error", () => resolve(0))
    request.end(body)
  })

/** Per world: the delivery log, fault switches, held (reordered) messages, pending timers. */
export const createWebhookState = () => ({
  deliveries: [],
  faults: [],
  held: [],
  retryScale: 1,
  inFlight: 0,
  counter: 0,
})

const takeFault = (state) => {
  const fault = state.faults[0]
  if (fault == null) return undefined
  if (fault.remaining != null) {
    fault.remaining -= 1
    if (fault.remaining <= 0) state.faults.shift()
  }
  return fault
}

const schedule = (world, delayMs, fn) => {
  if (delayMs > MAX_TIMEOUT_MS) return
  const timer = setTimeout(() => {
    world.timers.delete(timer)
    fn()
  }, delayMs)
  world.timers.add(timer)
}

/** One attempt of one message; on failure, the next attempt after the retry schedule. */
const attempt = async (world, message, number) => {
  const state = world.webhookState
  const webhook = world.db.getState().webhooks.find((w) => w.webhook_id === message.webhook_id)
  // Docs: "If you remove or disable a webhook, delivery attempts to the endpoint are disabled".
  if (webhook == null || world.disposed) return
  // Svix signs each attempt with the attempt's own timestamp (same svix-id on every attempt).
  const timestamp = String(Math.floor(Date.now() / 1000))
  const secret = message.badSignature ? newSecret() : webhook.secret
  const headers = {
    "svix-id": message.id,
    "svix-timestamp": timestamp,
    "svix-signature": svixSignature(secret, message.id, timestamp, message.body),
  }
  state.inFlight += 1
  const status = await post(webhook.url, headers, message.body)
  state.inFlight -= 1
  const ok = status >= 200 && status < 300
  state.deliveries.push({
    msg_id: message.id,
    event_id: message.event_id,
    event_type: message.event_type,
    webhook_id: message.webhook_id,
    attempt: number,
    status,
    ok,
    at: new Date().toISOString(),
  })
  if (ok || world.disposed) return
  const delay = RETRY_SCHEDULE_S[number - 1]
  if (delay == null) return // "retried for about a day", then given up
  schedule(world, delay * 1000 * state.retryScale, () => attempt(world, message, number + 1))
}

const send = (world, message) => {
  const state = world.webhookState
  const fault = message.fault
  switch (fault?.kind) {
    case "drop":
      state.deliveries.push({ msg_id: message.id, event_type: message.event_type, dropped: true })
      return
    case "delay":
      schedule(world, Math.round((fault.delay_s ?? 1) * 1000), () => attempt(world, message, 1))
      return
    case "duplicate":
      attempt(world, message, 1)
      schedule(world, Math.round((fault.delay_s ?? 0) * 1000), () => attempt(world, message, 1))
      return
    case "reorder":
      // Held back until the next message has been sent, then sent after it.
      state.held.push(message)
      return
    default:
      attempt(world, message, 1)
  }
}

/** Queue a delivery of `event` to every webhook of its workspace that asked for its type. */
const deliverEvent = (world, event) => {
  const state = world.webhookState
  for (const webhook of world.db.getState().webhooks) {
    if (webhook._workspace_id !== event.workspace_id) continue
    // The fake stores "*" as its full list (addWebhook); the sandbox keeps "*" as given.
    const types = webhook.event_types ?? ["*"]
    if (!types.includes("*") && !types.includes(event.event_type)) continue
    state.counter += 1
    const fault = takeFault(state)
    const message = {
      id: `msg_${randomBytes(12).toString("hex")}`,
      webhook_id: webhook.webhook_id,
      event_id: event.event_id,
      event_type: event.event_type,
      body: JSON.stringify(event),
      badSignature: fault?.kind === "bad_signature",
      fault,
    }
    const held = fault?.kind === "reorder" ? [] : state.held.splice(0)
    send(world, message)
    for (const previous of held) attempt(world, previous, 1)
  }
}

/**
 * Deliver every event added to the fake's store (the sandbox's own db.addEvent calls and the
 * fake's): the store is a zustand store, so a subscription sees each new `events` array.
 * Returns the unsubscribe function.
 */
export const attachWebhooks = (world) => {
  world.webhookState = createWebhookState()
  return world.db.subscribe((next, previous) => {
    if (next.events === previous.events || next.webhooks.length === 0) return
    const known = new Set(previous.events.map((e) => e.event_id))
    for (const event of next.events) if (!known.has(event.event_id)) deliverEvent(world, event)
  })
}

// ---------------------------------------------------------------- control API

/**
 * POST /_sandbox/webhooks/faults {kind, count?, delay_s?}: the next `count` messages (default 1;
 * null = every message until cleared) are dropped, delayed by delay_s, sent twice (same svix-id),
 * held back and sent after the next message (reorder), signed with a wrong secret
 * (bad_signature), or every attempt answered as failed (fail: the retry schedule runs).
 */
export const addWebhookFault = (world, payload) => {
  const { kind, count = 1, delay_s } = payload
  if (!FAULT_KINDS.has(kind)) throw badRequest(`"kind" must be one of ${[...FAULT_KINDS].join(", ")}`)
  if (count != null && (!Number.isInteger(count) || count < 1)) throw badRequest('"count" must be a positive integer or null')
  if (delay_s != null && (typeof delay_s !== "number" || delay_s < 0)) throw badRequest('"delay_s" must be >= 0')
  const fault = { kind, remaining: count, delay_s }
  world.webhookState.faults.push(fault)
  return { ok: true, fault: { kind, count, delay_s } }
}

export const webhookControlRoutes = {
  "GET webhooks": (sandbox) => ({
    webhooks: sandbox.world.db.getState().webhooks.map((w) => ({ ...publicWebhook(w), workspace_id: w._workspace_id })),
  }),
  "GET webhooks/deliveries": (sandbox) => ({
    deliveries: sandbox.world.webhookState.deliveries,
    in_flight: sandbox.world.webhookState.inFlight,
    held: sandbox.world.webhookState.held.length,
  }),
  "POST webhooks/faults": (sandbox, payload) => addWebhookFault(sandbox.world, payload),
  "POST webhooks/faults/clear": (sandbox) => {
    const state = sandbox.world.webhookState
    state.faults = []
    const held = state.held.splice(0)
    for (const message of held) attempt(sandbox.world, message, 1)
    return { ok: true, released: held.length }
  },
  // Shrinks the retry schedule (e.g. 0.001: 5 s -> 5 ms) so that tests can watch retries.
  "POST webhooks/config": (sandbox, payload) => {
    const { retry_scale } = payload
    if (typeof retry_scale !== "number" || !(retry_scale >= 0)) throw badRequest('"retry_scale" must be >= 0')
    sandbox.world.webhookState.retryScale = retry_scale
    return { ok: true, retry_scale }
  },
}
