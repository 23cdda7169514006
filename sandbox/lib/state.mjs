// Builds one sandbox "world": a fresh fake database, its seed, the Salto KS
// data, and the fake's own request handler (never bound to a port itself).
import http from "node:http"
import { randomBytes } from "node:crypto"

import { createFake } from "@seamapi/fake-seam-connect"

import {
  buildSaltoDevice,
  completeIssues,
  EMPTY_WORKSPACE_API_KEY,
  SALTO_CONNECTED_ACCOUNT_ID,
  SANDBOX_API_KEY,
  SANDBOX_WORKSPACE_ID,
  SEEDED_SALTO_LOCKS,
} from "./devices.mjs"
import { attachWebhooks } from "./webhooks.mjs"
import { nameSeedLocks } from "./seed-names.mjs"

/**
 * Run fake.startServer() with http.Server#listen replaced by a no-op, then take
 * the request handler off the (never listening) server. Nothing binds a port,
 * so the fake can never listen on all interfaces.
 */
const getFakeRequestHandler = async (fake, { port, baseUrl }) => {
  const proto = http.Server.prototype
  const hadOwn = Object.prototype.hasOwnProperty.call(proto, "listen")
  const original = proto.listen
  proto.listen = function listenDisabled(...args) {
    const callback = args.find((arg) => typeof arg === "function")
    if (callback != null) process.nextTick(callback)
    return this
  }
  try {
    await fake.startServer({ port, baseUrl, signals: [] })
  } finally {
    if (hadOwn) proto.listen = original
    else delete proto.listen
  }
  const handler = fake.server?.server?.listeners("request")[0]
  if (typeof handler !== "function") {
    throw new Error("Could not find the fake's request handler")
  }
  return handler
}

/** Append many devices to the fake's store in one state update. */
export const addDevicesBulk = (db, devices) => {
  db.setState({ devices: [...db.getState().devices, ...devices] })
}

export const addSaltoConnectedAccount = (db, { connected_account_id, email, workspace_id }) => {
  db.addConnectedAccount({
    provider: "salto_ks",
    workspace_id,
    connected_account_id,
    user_identifier: { email },
    display_name: `Salto KS (${email})`,
    account_type: "salto_ks",
  })
  return db.updateConnectedAccount({
    connected_account_id,
    account_type_display_name: "Salto KS",
    errors: [],
    warnings: [],
  })
}

// Seam lists what each device supports (OpenAPI `device.capabilities_supported`, items
// "access_code" | "lock" | "noise_detection" | "thermostat" | "battery" | "phone": "lock" means
// the device controls a door locking mechanism). The fake gives every device
// ["lock", "access_code"], its seeded thermostat and noise sensors too; set them by device type
// (OpenAPI `device_type` groups: lock, noise sensor, thermostat device types).
const CAPABILITIES_BY_SUFFIX = [
  ["_thermostat", ["thermostat"]],
  ["_sensor", ["noise_detection"]],
  ["_activity_zone", ["noise_detection"]],
]

const setTruthfulCapabilities = (db) => {
  const devices = db.getState().devices.map((device) => {
    const match = CAPABILITIES_BY_SUFFIX.find(([suffix]) => device.device_type.endsWith(suffix))
    return match == null ? device : { ...device, capabilities_supported: match[1] }
  })
  db.setState({ devices })
}

/**
 * Bring the fake's seed and its store up to what Seam's spec requires, at the source (so
 * every route, the fake's included, answers with it):
 * - access_code.pending_mutations is required ("Collection of pending mutations"): the seed's
 *   codes have none pending (new codes: addAccessCode in api.mjs);
 * - connected_account.errors and .warnings are required arrays;
 * - workspace.organization_id is required, "or `null` if the workspace is not assigned to an
 *   organization";
 * - device errors and warnings as completeIssues (devices.mjs) describes.
 */
const conformStore = (db) => {
  const state = db.getState()
  db.setState({
    access_codes: state.access_codes.map((code) => ({ pending_mutations: [], ...code })),
    connected_accounts: state.connected_accounts.map((account) => ({
      ...account,
      errors: account.errors ?? [],
      warnings: account.warnings ?? [],
    })),
    workspaces: state.workspaces.map((workspace) => ({ organization_id: null, ...workspace })),
    devices: state.devices.map((device) => completeIssues(device)),
  })
}

export const createWorld = async ({ port, baseUrl }) => {
  const fake = await createFake()
  await fake.seed()
  const db = fake.database
  conformStore(db)
  setTruthfulCapabilities(db)
  nameSeedLocks(db)
  const handler = await getFakeRequestHandler(fake, { port, baseUrl })

  addSaltoConnectedAccount(db, {
    connected_account_id: SALTO_CONNECTED_ACCOUNT_ID,
    email: "facilities@example.com",
    workspace_id: SANDBOX_WORKSPACE_ID,
  })
  db.addEvent({
    event_type: "connected_account.connected",
    workspace_id: SANDBOX_WORKSPACE_ID,
    connected_account_id: SALTO_CONNECTED_ACCOUNT_ID,
  })

  const base = Date.now()
  const roles = {}
  const saltoDevices = SEEDED_SALTO_LOCKS.map(({ role, ...spec }, index) => {
    roles[role] = spec.device_id
    return buildSaltoDevice({
      ...spec,
      created_at: new Date(base + index).toISOString(),
    })
  })
  addDevicesBulk(db, saltoDevices)
  for (const device of saltoDevices) {
    db.addEvent({
      event_type: "device.connected",
      workspace_id: SANDBOX_WORKSPACE_ID,
      device_id: device.device_id,
      connected_account_id: SALTO_CONNECTED_ACCOUNT_ID,
    })
  }

  const otherLocks = db
    .getState()
    .devices.filter(
      (d) =>
        d.workspace_id === SANDBOX_WORKSPACE_ID &&
        d.device_type !== "salto_lock" &&
        d.device_type.endsWith("_lock"),
    )
    .map((d) => d.device_id)

  const world = {
    fake,
    db,
    handler,
    baseUrl,
    // sandbox bookkeeping, all reset together with the fake
    roles,
    saltoDeviceIds: saltoDevices.map((d) => d.device_id),
    otherLockDeviceIds: otherLocks,
    webviewTokens: new Map(), // connect_webview_id -> auth_token
    counters: { added: 0, webviewAccounts: 0 },
    timers: new Set(),
    disposed: false,
    // device_id -> remote unlock behaviour (see POST /_sandbox/devices/unlock_behavior).
    unlockBehavior: new Map(),
    // Salto KS codes whose PIN comes at starts_at (see applyCodeSchedules in api.mjs).
    codesWaitingForStart: new Set(),
    // Time-bound codes past their ends_at already handled (see expireCode in api.mjs).
    expiredCodes: new Set(),
  }
  // Deliveries start after the seed: its events predate every webhook.
  world.detachWebhooks = attachWebhooks(world)
  return world
}

export const describeWorld = (world) => ({
  workspace_id: SANDBOX_WORKSPACE_ID,
  api_key: SANDBOX_API_KEY,
  empty_workspace_api_key: EMPTY_WORKSPACE_API_KEY,
  salto_connected_account_id: SALTO_CONNECTED_ACCOUNT_ID,
  salto_device_ids: world.saltoDeviceIds,
  other_lock_device_ids: world.otherLockDeviceIds,
  normal_device_id: world.roles.normal,
  offline_device_id: world.roles.offline,
  low_battery_device_id: world.roles.low_battery,
  no_remote_unlock_device_id: world.roles.no_remote_unlock,
  small_code_limit_device_id: world.roles.small_code_limit,
  webview_login: { email: "jane@example.com", password: "1234" },
  device_count: world.db.getState().devices.filter((d) => d.workspace_id === SANDBOX_WORKSPACE_ID)
    .length,
})

export const newToken = () => randomBytes(18).toString("base64url")

/** Stop every timer a world started (pending code assignments, attempts). */
export const disposeWorld = (world) => {
  world.disposed = true
  world.detachWebhooks?.()
  for (const timer of world.timers) clearTimeout(timer)
  world.timers.clear()
}
