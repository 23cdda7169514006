// Bring the fake's (@seamapi/fake-seam-connect 1.86.0, old) and the sandbox's
// own API responses up to the fields Seam's current OpenAPI spec requires
// (npm @seamapi/types, pinned in package.json; `components.schemas.*`). Every
// patch only adds what is missing, and cites the spec field it follows.
// sandbox/lib/contract.mjs checks the result in the tests.

/** Seam's connected-account error codes (spec: device.errors[] variants with is_connected_account_error). */
const CONNECTED_ACCOUNT_ERROR_CODES = new Set([
  "account_disconnected",
  "invalid_credentials",
  "bridge_disconnected",
  "salto_ks_subscription_limit_exceeded",
])

const isObject = (value) => value != null && typeof value === "object" && !Array.isArray(value)

// spec: access_code.pending_mutations is required ("Collection of pending
// mutations for the access code"); the fake has none, so: none pending.
const conformAccessCode = (code) => {
  if (isObject(code) && !Array.isArray(code.pending_mutations)) code.pending_mutations = []
}

// spec: device.errors[] items require created_at, error_code, message and
// is_device_error (false + is_connected_account_error: true for account errors);
// device.warnings[] items require created_at, warning_code, message.
const conformDevice = (device) => {
  if (!isObject(device)) return
  for (const error of Array.isArray(device.errors) ? device.errors : []) {
    if (!isObject(error)) continue
    error.created_at ??= device.created_at
    if (CONNECTED_ACCOUNT_ERROR_CODES.has(error.error_code)) {
      error.is_device_error = false
      error.is_connected_account_error = true
    } else {
      error.is_device_error ??= true
    }
  }
  for (const warning of Array.isArray(device.warnings) ? device.warnings : []) {
    if (isObject(warning)) warning.created_at ??= device.created_at
  }
}

// spec: connected_account.errors and .warnings are required arrays.
const conformConnectedAccount = (account) => {
  if (!isObject(account)) return
  if (!Array.isArray(account.errors)) account.errors = []
  if (!Array.isArray(account.warnings)) account.warnings = []
}

/** spec: components.schemas.pagination (required: next_page_cursor, has_next_page, next_page_url). */
const LAST_PAGE = { has_next_page: false, next_page_cursor: null, next_page_url: null }

// Routes whose 200 body requires `pagination` in the spec (paths[route].post.responses.200).
const PAGINATED_ROUTES = new Set(["/access_codes/list", "/devices/list", "/connected_accounts/list"])

/** Patch one parsed 200 body in place. `world` gives access to the fake's db. */
export const conformBody = (route, body, world) => {
  if (!isObject(body)) return
  conformAccessCode(body.access_code)
  for (const code of Array.isArray(body.access_codes) ? body.access_codes : []) conformAccessCode(code)
  conformDevice(body.device)
  for (const device of Array.isArray(body.devices) ? body.devices : []) conformDevice(device)
  for (const device of Array.isArray(body.locks) ? body.locks : []) conformDevice(device)
  conformConnectedAccount(body.connected_account)
  for (const account of Array.isArray(body.connected_accounts) ? body.connected_accounts : []) {
    conformConnectedAccount(account)
  }
  // spec: workspace.organization_id is required, "or `null` if the workspace is
  // not assigned to an organization".
  if (isObject(body.workspace) && !("organization_id" in body.workspace)) {
    body.workspace.organization_id = null
  }
  if (PAGINATED_ROUTES.has(route) && body.pagination == null) body.pagination = { ...LAST_PAGE }
  // spec: /access_codes/create 200 requires `action_attempt` (the CREATE_ACCESS_CODE
  // variant; success result: {access_code}). The code itself is already in the body.
  if (route === "/access_codes/create" && body.action_attempt == null && isObject(body.access_code)) {
    const { action_attempt_id } = world.db.addActionAttempt({ action_type: "CREATE_ACCESS_CODE" })
    const result = { access_code: body.access_code }
    world.db.updateActionAttempt({ action_attempt_id, status: "success", result, error: null })
    body.action_attempt = { action_attempt_id, action_type: "CREATE_ACCESS_CODE", status: "success", result, error: null }
  }
}

/**
 * Run `handler` (which answers on `res`) and patch its JSON 200 body before it
 * leaves: the body is held until `end`, then patched and sent with a new length.
 */
export const conformResponse = async ({ res, route, world }, handler) => {
  const chunks = []
  const write = res.write.bind(res)
  const end = res.end.bind(res)
  const keep = (chunk, encoding) => {
    if (chunk == null || typeof chunk === "function") return
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, typeof encoding === "string" ? encoding : "utf8"))
  }
  res.write = (chunk, encoding, cb) => {
    keep(chunk, encoding)
    const callback = typeof encoding === "function" ? encoding : cb
    if (typeof callback === "function") process.nextTick(callback)
    return true
  }
  res.end = (chunk, encoding, cb) => {
    keep(chunk, encoding)
    res.write = write
    res.end = end
    let body = Buffer.concat(chunks)
    const json = String(res.getHeader("Content-Type") ?? "").includes("json")
    if (res.statusCode === 200 && json && body.length > 0) {
      try {
        const parsed = JSON.parse(body.toString("utf8"))
        conformBody(route, parsed, world)
        body = Buffer.from(JSON.stringify(parsed), "utf8")
      } catch {
        // Not JSON after all: send it as it is.
      }
    }
    if (!res.headersSent) res.setHeader("Content-Length", body.length)
    const callback = typeof chunk === "function" ? chunk : typeof encoding === "function" ? encoding : cb
    return end(body, callback)
  }
  await handler()
}
