// Builders for the Salto KS devices the fake does not know about.

export const SANDBOX_WORKSPACE_ID = "seed_workspace_1"
export const SANDBOX_API_KEY = "seam_apikey1_token"
export const EMPTY_WORKSPACE_API_KEY = "seam_apikey2_token"
export const SALTO_CONNECTED_ACCOUNT_ID = "salto_ks_connected_account"
export const SALTO_SITE_ID = "salto_site_0001"
export const SALTO_SITE_NAME = "Sandbox HQ"

/** Device types treated as locks by the sandbox's locks/* and list routes. */
export const LOCK_DEVICE_TYPES = [
  "august_lock",
  "schlage_lock",
  "yale_lock",
  "smartthings_lock",
  "salto_lock",
]

/** PIN lengths Salto KS generates (Salto KS guide, "Access Code Limitations": 6-10 digits). */
export const SALTO_PIN_LENGTHS = [6, 7, 8, 9, 10]

export const isSaltoDevice = (device) => device?.device_type === "salto_lock"

export const isLockDevice = (device) =>
  LOCK_DEVICE_TYPES.includes(device?.device_type) ||
  (device?.properties != null && "locked" in device.properties)

export const batteryStatus = (level) => {
  if (level <= 0.1) return "critical"
  if (level <= 0.25) return "low"
  if (level < 0.9) return "good"
  return "full"
}

/**
 * Salto KS reports battery as a word in salto_ks_metadata.battery_level (spec:
 * a string). Seam's Salto guide (seamapi/docs, "3 — Retrieve Salto Devices")
 * shows "fresh" for a full battery; no other word is documented, so the
 * sandbox reports "fresh" above the low threshold and "low" below it (the
 * integration reads the numeric properties.battery_level, never the word).
 */
export const saltoBatteryWord = (level) => (level <= 0.25 ? "low" : "fresh")

// spec: device.errors[] "device_disconnected" ("Indicates that the device is
// disconnected"); "device_offline" is marked deprecated in the spec.
export const OFFLINE_ERROR_CODE = "device_disconnected"

export const offlineError = (created_at = new Date().toISOString()) => ({
  error_code: OFFLINE_ERROR_CODE,
  message: "Device is disconnected",
  is_device_error: true,
  created_at,
})


/**
 * A complete salto_lock device object, shaped like the fake's own devices
 * (so every fake route that reads devices keeps working).
 */
export const buildSaltoDevice = ({
  device_id,
  name,
  workspace_id = SANDBOX_WORKSPACE_ID,
  connected_account_id = SALTO_CONNECTED_ACCOUNT_ID,
  created_at = new Date().toISOString(),
  locked = true,
  online = true,
  // No Seam document shows door_open for Salto KS locks: left out unless given (see the
  // control API's `salto_door_open` switch, an assumption).
  door_open,
  battery_level = 0.86,
  lock_type = "escutcheon",
  max_active_codes_supported = 50,
  can_remotely_lock = true,
  can_remotely_unlock = true,
  site_id = SALTO_SITE_ID,
  site_name = SALTO_SITE_NAME,
  errors,
  warnings = [],
}) => {
  // Seam's Salto example (seamapi/docs, Salto guide) reports the lock type as
  // the model too: {"model": "wall_reader_pin", "lock_type": "wall_reader_pin"}.
  const model = lock_type
  return {
    device_id,
    is_managed: true,
    device_type: "salto_lock",
    display_name: name,
    connected_account_id,
    capabilities_supported: ["lock", "access_code"],
    created_at,
    workspace_id,
    errors: errors ?? (online ? [] : [offlineError(created_at)]),
    warnings,
    custom_metadata: {},
    space_ids: [],
    can_remotely_lock,
    can_remotely_unlock,
    can_program_online_access_codes: true,
    properties: {
      name,
      appearance: { name },
      online,
      locked,
      ...(door_open === undefined ? {} : { door_open }),
      battery_level,
      battery: { level: battery_level, status: batteryStatus(battery_level) },
      // spec: properties.model is required; Seam's Salto example has no model
      // name, so the sandbox reports the lock type as its display name.
      model: {
        display_name: model,
        manufacturer_display_name: "Salto",
      },
      manufacturer: "salto",
      // Seam's Salto KS guide (device-and-system-integration-guides/salto-locks/index.mdx,
      // "Access Code Limitations"): Salto "will automatically generate a 6-10 digit PIN code";
      // the sandbox generates exactly these lengths (generateSaltoPin in api.mjs).
      supported_code_lengths: SALTO_PIN_LENGTHS,
      // Same section: "Salto does not allow a user to configure custom PIN codes" (spec:
      // code_constraints, constraint_type cannot_specify_pin_code).
      code_constraints: [{ constraint_type: "cannot_specify_pin_code" }],
      max_active_codes_supported,
      has_direct_power: false,
      currently_triggering_noise_threshold_ids: [],
      salto_ks_metadata: {
        lock_id: `${device_id}_salto_id`,
        customer_reference: name,
        lock_type,
        battery_level: saltoBatteryWord(battery_level),
        locked_state: locked ? "locked" : "unlocked",
        model,
        site_id,
        site_name,
        has_custom_pin_subscription: true,
      },
    },
  }
}

/** A plain lock of a type the fake knows (august_lock, schlage_lock, ...). */
export const buildGenericLock = ({
  device_id,
  device_type,
  name,
  workspace_id = SANDBOX_WORKSPACE_ID,
  connected_account_id,
  created_at = new Date().toISOString(),
}) => {
  const manufacturer = device_type.replace(/_lock$/, "")
  return {
    device_id,
    is_managed: true,
    device_type,
    display_name: name,
    connected_account_id,
    capabilities_supported: ["lock", "access_code"],
    created_at,
    workspace_id,
    errors: [],
    warnings: [],
    custom_metadata: {},
    space_ids: [],
    can_remotely_lock: true,
    can_remotely_unlock: true,
    can_program_online_access_codes: true,
    properties: {
      name,
      appearance: { name },
      online: true,
      locked: true,
      door_open: false,
      battery_level: 1,
      battery: { level: 1, status: "full" },
      model: {
        display_name: `${manufacturer} lock`,
        manufacturer_display_name: manufacturer,
      },
      manufacturer,
      supported_code_lengths: [4, 5, 6, 7, 8],
      max_active_codes_supported: 250,
      currently_triggering_noise_threshold_ids: [],
    },
  }
}

/** The Salto locks seeded into the sandbox workspace, with their roles. */
export const SEEDED_SALTO_LOCKS = [
  {
    role: "normal",
    device_id: "salto_lock_front_door",
    name: "Front Door",
    battery_level: 0.86,
    lock_type: "escutcheon",
  },
  {
    role: "offline",
    device_id: "salto_lock_back_office",
    name: "Back Office",
    online: false,
    battery_level: 0.64,
    lock_type: "cylinder",
  },
  {
    role: "low_battery",
    device_id: "salto_lock_storage_room",
    name: "Storage Room",
    battery_level: 0.12,
    lock_type: "cylinder",
  },
  {
    role: "no_remote_unlock",
    device_id: "salto_lock_server_room",
    name: "Server Room",
    can_remotely_unlock: false,
    battery_level: 0.95,
    lock_type: "wall_reader_pin", // Seam's Salto example's lock type
  },
  {
    role: "small_code_limit",
    device_id: "salto_lock_meeting_room",
    name: "Meeting Room",
    locked: false,
    max_active_codes_supported: 2,
    battery_level: 0.55,
    lock_type: "escutcheon",
  },
]

const isPlainObject = (value) =>
  value != null && typeof value === "object" && !Array.isArray(value)

/** Deep merge of plain objects; arrays and scalars in `patch` replace. */
export const deepMerge = (base, patch) => {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch
  const out = { ...base }
  for (const [key, value] of Object.entries(patch)) {
    out[key] = isPlainObject(value) && isPlainObject(base[key]) ? deepMerge(base[key], value) : value
  }
  return out
}

// spec: device.errors[] variants with is_connected_account_error: true (and is_device_error:
// false): the connected account's errors that Seam copies onto each of its devices.
// insufficient_permissions is one since @seamapi/types 1.1038.0 (a device warning before).
const CONNECTED_ACCOUNT_ERROR_CODES = new Set([
  "account_disconnected",
  "bridge_disconnected",
  "salto_ks_subscription_limit_exceeded",
  "insufficient_permissions",
  "dormakaba_sites_disconnected",
])

/**
 * Complete the errors and warnings the control API sets on a device the way Seam reports
 * them (spec: device.errors[] items require created_at, error_code, message and
 * is_device_error, false with is_connected_account_error: true for an account's errors;
 * device.warnings[] items require created_at, warning_code and message).
 */
export const completeIssues = (device, now = device.created_at) => {
  const errors = (device.errors ?? []).map((error) => {
    const account = CONNECTED_ACCOUNT_ERROR_CODES.has(error.error_code)
    return {
      message: error.error_code,
      created_at: now,
      ...error,
      is_device_error: !account,
      ...(account ? { is_connected_account_error: true } : {}),
    }
  })
  const warnings = (device.warnings ?? []).map((warning) => ({
    message: warning.warning_code,
    created_at: now,
    ...warning,
  }))
  return { ...device, errors, warnings }
}

/**
 * Apply `patch` (top-level fields plus a `properties` object, deep merged) to a
 * device and keep the derived fields consistent: battery_level <-> battery,
 * Salto metadata, and the device_offline error.
 */
export const applyDevicePatch = (device, patch) => {
  const { device_id: _ignored, properties: propPatch = {}, ...top } = patch
  const next = deepMerge(device, top)
  const props = deepMerge(device.properties, propPatch)

  if (typeof propPatch.battery_level === "number" && propPatch.battery?.level == null) {
    props.battery = {
      level: propPatch.battery_level,
      status: propPatch.battery?.status ?? batteryStatus(propPatch.battery_level),
    }
  } else if (typeof propPatch.battery?.level === "number") {
    if (propPatch.battery_level == null) props.battery_level = propPatch.battery.level
    if (propPatch.battery.status == null) props.battery.status = batteryStatus(propPatch.battery.level)
  }

  if (props.salto_ks_metadata != null) {
    const meta = { ...props.salto_ks_metadata }
    const metaPatch = propPatch.salto_ks_metadata ?? {}
    if ("locked" in propPatch && metaPatch.locked_state == null) {
      meta.locked_state = props.locked ? "locked" : "unlocked"
    }
    if (
      (propPatch.battery_level != null || propPatch.battery?.level != null) &&
      metaPatch.battery_level == null
    ) {
      meta.battery_level = saltoBatteryWord(props.battery_level)
    }
    if (propPatch.name != null && metaPatch.customer_reference == null) {
      meta.customer_reference = propPatch.name
    }
    props.salto_ks_metadata = meta
  }
  if (propPatch.name != null && propPatch.appearance == null) {
    props.appearance = { ...props.appearance, name: propPatch.name }
  }

  if ("online" in propPatch && !("errors" in top)) {
    const others = (next.errors ?? []).filter((e) => e.error_code !== OFFLINE_ERROR_CODE)
    next.errors = props.online ? others : [...others, offlineError()]
  }

  // A capability flag patched to null is dropped: Seam leaves can_* out for a device that has
  // no such capability (spec: device.can_remotely_unlock, "false" = not functional now).
  for (const [key, value] of Object.entries(top)) {
    if (key.startsWith("can_") && value === null) delete next[key]
  }
  next.properties = props
  next.device_id = device.device_id
  return completeIssues(next, new Date().toISOString())
}

/**
 * Errors or warnings as an event's snapshot of them (spec: the event fields device_errors,
 * device_warnings, connected_account_errors, ... items: created_at, message and the code).
 */
export const snapshotIssues = (items) =>
  (items ?? []).map(({ created_at, message, error_code, warning_code }) => ({
    created_at,
    message,
    ...(error_code != null ? { error_code } : { warning_code }),
  }))

// The snapshot fields Seam's spec requires on an event type (both spec versions; the access
// code problems' events: api.mjs).
const ACCOUNT_SNAPSHOT = ["connected_account_errors", "connected_account_warnings"]
const DEVICE_SNAPSHOT = [...ACCOUNT_SNAPSHOT, "device_errors", "device_warnings"]
const EVENT_SNAPSHOTS = {
  "connected_account.disconnected": ACCOUNT_SNAPSHOT,
  "connected_account.reauthorization_requested": ACCOUNT_SNAPSHOT,
  "device.disconnected": DEVICE_SNAPSHOT,
  "device.unmanaged.disconnected": DEVICE_SNAPSHOT,
  "device.connection_became_flaky": DEVICE_SNAPSHOT,
  "device.error.subscription_required": DEVICE_SNAPSHOT,
  "device.accessory_keypad_disconnected": DEVICE_SNAPSHOT,
}

/**
 * The fields Seam's spec requires on an event of `event_type` that `given` lacks, from the
 * device's and its account's current errors and warnings (and, for device.disconnected, its
 * error_code: the spec's enum, "account_disconnected" | "hub_disconnected" |
 * "device_disconnected"...; the sandbox says device_disconnected).
 */
export const requiredEventFields = (event_type, given, { device, account }) => {
  const sources = {
    connected_account_errors: account?.errors,
    connected_account_warnings: account?.warnings,
    device_errors: device?.errors,
    device_warnings: device?.warnings,
  }
  const fields = {}
  for (const field of EVENT_SNAPSHOTS[event_type] ?? []) {
    if (!(field in given)) fields[field] = snapshotIssues(sources[field])
  }
  if (event_type.endsWith("device.disconnected") && !("error_code" in given)) {
    fields.error_code = OFFLINE_ERROR_CODE
  }
  return fields
}
