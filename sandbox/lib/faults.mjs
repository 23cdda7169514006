// Injected failures, keyed by API route ("/devices/list") or "*".
import { badRequest } from "./http.mjs"

export const HTTP_FAULT_KINDS = ["outage", "delay", "malformed", "unauthorized", "rate_limit", "drop"]
export const ATTEMPT_FAULT_KINDS = ["attempt_error", "attempt_pending"]

export const normalizeRoute = (route) => {
  if (route === "*") return "*"
  let path = `/${String(route).trim().replace(/^\/+/, "")}`
  path = path.replace(/\/+$/, "")
  return path === "" ? "/" : path
}

const optionalNumber = (spec, key) => {
  const value = spec[key]
  if (value == null) return undefined
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw badRequest(`"${key}" must be a non-negative number`)
  }
  return value
}

export class Faults {
  #faults = []
  #nextId = 1

  add(spec) {
    if (spec == null || typeof spec !== "object") throw badRequest("Expected a JSON object")
    const { route, kind } = spec
    if (typeof route !== "string" || route === "") throw badRequest('"route" is required')
    if (![...HTTP_FAULT_KINDS, ...ATTEMPT_FAULT_KINDS].includes(kind)) {
      throw badRequest(
        `"kind" must be one of ${[...HTTP_FAULT_KINDS, ...ATTEMPT_FAULT_KINDS].join(", ")}`,
      )
    }
    const count = optionalNumber(spec, "count")
    if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
      throw badRequest('"count" must be a positive integer')
    }
    const fault = {
      fault_id: `fault_${this.#nextId++}`,
      route: normalizeRoute(route),
      kind,
      remaining: count ?? null, // null = unlimited
      retry_after: optionalNumber(spec, "retry_after") ?? (kind === "rate_limit" ? 1 : undefined),
      delay_s: optionalNumber(spec, "delay_s") ?? (kind === "delay" ? 1 : undefined),
      error_type: typeof spec.error_type === "string" ? spec.error_type : undefined,
      message: typeof spec.message === "string" ? spec.message : undefined,
      status: typeof spec.status === "number" ? spec.status : undefined,
    }
    this.#faults.push(fault)
    return fault
  }

  /** First matching fault of one of `kinds`, consuming one use of it. */
  take(path, kinds) {
    const fault = this.#faults.find(
      (f) => (f.route === "*" || f.route === path) && kinds.includes(f.kind),
    )
    if (fault == null) return undefined
    if (fault.remaining != null) {
      fault.remaining -= 1
      if (fault.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== fault)
    }
    return { ...fault }
  }

  list() {
    return this.#faults.map((f) => ({ ...f }))
  }

  clear() {
    this.#faults = []
  }
}
