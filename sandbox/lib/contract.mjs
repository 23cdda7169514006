// Contract checker: every Seam API exchange that passes through the sandbox is
// validated against two versions of Seam's published OpenAPI spec (npm
// @seamapi/types, pinned in package.json, and the newer document from
// seamapi/types on GitHub in ../spec/): the request body against the route's `requestBody` schema
// and a 200 response against its `responses.200` schema. Known departures are
// listed, with a reason each, in ../contract-departures.json and nowhere else.
//
// Enabled by `--contract-log FILE` or $SEAM_SANDBOX_CONTRACT_LOG: the sandbox
// appends each exchange to FILE; `node sandbox/lib/contract.mjs FILE OUT` checks
// them and writes {"route", "status"} per exchange, plus "findings" (direction,
// JSON path, message, the spec version, and "departure" = the listed reason when
// it is a known departure) when it does not conform. The response checked is the
// bytes written to the client's socket (observeExchange), after every handler. tests/contract.py runs and reads it.
import fs from "node:fs"
import readline from "node:readline"
import zlib from "node:zlib"
import { fileURLToPath } from "node:url"

import Ajv from "ajv"
import addFormats from "ajv-formats"

const DEPARTURES_FILE = new URL("../contract-departures.json", import.meta.url)

/** Rewrite OpenAPI 3.0 schema dialect into JSON Schema that Ajv understands. */
const toJsonSchema = (node) => {
  if (Array.isArray(node)) return node.map(toJsonSchema)
  if (node == null || typeof node !== "object") return node
  const out = {}
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-") || key === "nullable") continue
    // Ajv's `discriminator` takes only `propertyName` (no `mapping`).
    if (key === "discriminator") {
      out.discriminator = { propertyName: value.propertyName }
      continue
    }
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/components/")) {
      out.$ref = `seam${value}`
    } else if (key === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema)]),
      )
    } else if ((key === "exclusiveMinimum" || key === "exclusiveMaximum") && typeof value === "boolean") {
      // OpenAPI 3.0: a boolean modifier of minimum/maximum.
      if (value) out[key] = node[key === "exclusiveMinimum" ? "minimum" : "maximum"]
    } else {
      out[key] = toJsonSchema(value)
    }
  }
  if (node.exclusiveMinimum === true) delete out.minimum
  if (node.exclusiveMaximum === true) delete out.maximum
  // OpenAPI 3.0 `nullable: true` = the value may also be null.
  if (node.nullable === true) {
    if (typeof out.type === "string" && out.enum == null) {
      out.type = [out.type, "null"]
    } else if (typeof out.type === "string" && Array.isArray(out.enum)) {
      out.type = [out.type, "null"]
      if (!out.enum.includes(null)) out.enum = [...out.enum, null]
    } else {
      return { anyOf: [{ type: "null" }, out] }
    }
  }
  return out
}

// The spec object alone (lib/seam/connect/openapi.js, an ES module), not the
// package's entry point, which also loads every zod schema (half a second).
const NPM_SPEC_FILE = new URL(
  "../node_modules/@seamapi/types/lib/seam/connect/openapi.js",
  import.meta.url,
)
// The newer document from seamapi/types on GitHub (npm stops at 1.977.0): ../spec/README.md.
const NEWER_SPEC = {
  version: "1.1038.0",
  file: new URL("../spec/seam-connect-openapi-1.1038.0.json.gz", import.meta.url),
}
const NPM_SPEC_VERSION = JSON.parse(
  fs.readFileSync(new URL("../node_modules/@seamapi/types/package.json", import.meta.url), "utf8"),
).version

/** Every spec the exchanges are checked against: [{version, spec}], the npm one first. */
export const loadSpecs = async () => [
  { version: NPM_SPEC_VERSION, spec: (await import(NPM_SPEC_FILE.href)).default },
  { version: NEWER_SPEC.version, spec: JSON.parse(zlib.gunzipSync(fs.readFileSync(NEWER_SPEC.file)).toString("utf8")) },
]

/** A JSON pointer (/a/0/b) as a readable path (a[0].b); "" is the whole body. */
export const pointerToPath = (pointer) => {
  if (pointer === "") return "(body)"
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === "" ? part : `${acc}.${part}`), "")
}

const describeError = (error) => {
  const base = error.instancePath
  if (error.keyword === "required") {
    return { pointer: `${base}/${error.params.missingProperty}`, message: "is required by the spec but missing" }
  }
  if (error.keyword === "additionalProperties") {
    return { pointer: `${base}/${error.params.additionalProperty}`, message: "is not in the spec" }
  }
  if (error.keyword === "discriminator" && error.params?.tag != null) {
    const value = JSON.stringify(error.params.tagValue)
    return { pointer: `${base}/${error.params.tag}`, message: `${value} is not one of the spec's values` }
  }
  if (error.keyword === "enum") {
    return { pointer: base, message: `must be one of ${JSON.stringify(error.params.allowedValues)}` }
  }
  return { pointer: base, message: error.message }
}

/**
 * Keep, for each failed oneOf/anyOf, only the errors of its closest branch (the
 * one with the fewest errors; a branch whose very type is wrong counts as far):
 * "must be one of [X]" for each of 80 event types says nothing useful.
 */
const closestBranches = (errors) => {
  let remaining = errors
  for (;;) {
    const combinators = remaining
      .filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf")
      .sort((a, b) => a.schemaPath.length - b.schemaPath.length)
    const outer = combinators[0]
    if (outer == null) return remaining
    const prefix = `${outer.schemaPath}/`
    const branches = new Map()
    for (const error of remaining) {
      if (!error.schemaPath.startsWith(prefix)) continue
      const branch = error.schemaPath.slice(prefix.length).split("/")[0]
      const rest = error.schemaPath.slice(prefix.length + branch.length)
      const cost = error.keyword === "type" && rest === "/type" ? 1000 : 1
      branches.set(branch, (branches.get(branch) ?? 0) + cost)
    }
    const best = [...branches.entries()].sort((a, b) => a[1] - b[1])[0]?.[0]
    remaining = remaining.filter(
      (e) =>
        e !== outer &&
        (!e.schemaPath.startsWith(prefix) || e.schemaPath.startsWith(`${prefix}${best}/`)),
    )
    if (best == null) remaining.push({ ...outer, keyword: "oneOf-none" })
  }
}

/** Glob match for departure paths: `**` = anything, `*` = one segment or one [index]. */
const patterns = new Map()
const pathMatches = (pattern, path) => {
  let regex = patterns.get(pattern)
  if (regex == null) {
    regex = new RegExp(
      `^${pattern
        .split("**")
        .map((outer) =>
          outer
            .split("*")
            .map((part) => part.replace(/[.[\]()+?^${}|\\]/g, "\\$&"))
            .join("[^.\\[\\]]+"),
        )
        .join(".*")}$`,
    )
    patterns.set(pattern, regex)
  }
  return regex.test(path)
}

export class ContractChecker {
  #ajv
  #spec
  #validators = new Map()
  #departures

  #version

  constructor({ spec, version = null, departures = JSON.parse(fs.readFileSync(DEPARTURES_FILE, "utf8")) }) {
    this.#spec = spec
    this.#version = version
    // A departure with `spec` applies to that spec version only.
    this.#departures = (departures.departures ?? []).filter(
      (d) => d.spec == null || version == null || d.spec === version,
    )
    // code.optimize off: compiling is most of the check's time, running it is cheap.
    this.#ajv = new Ajv({ strict: false, allErrors: true, discriminator: true, code: { optimize: false } })
    addFormats(this.#ajv, ["uuid", "date-time", "uri", "email"])
    this.#ajv.addFormat("float", true)
    this.#ajv.addSchema({ $id: "seam", components: toJsonSchema(spec.components) })
  }

  /** One checker per spec version (loadSpecs). */
  static async createAll() {
    return (await loadSpecs()).map(({ version, spec }) => new ContractChecker({ spec, version }))
  }

  get version() {
    return this.#version
  }

  /** The compiled validator for one route/method/direction, or null if the spec has no schema. */
  #validator(route, method, direction) {
    const key = `${direction} ${method} ${route}`
    if (this.#validators.has(key)) return this.#validators.get(key)
    const operation = this.#spec.paths[route]?.[method.toLowerCase()]
    const schema =
      direction === "request"
        ? operation?.requestBody?.content?.["application/json"]?.schema
        : operation?.responses?.["200"]?.content?.["application/json"]?.schema
    const validate = schema == null ? null : this.#ajv.compile(toJsonSchema(schema))
    this.#validators.set(key, validate)
    return validate
  }

  #departure(route, direction, path, message) {
    return this.#departures.find(
      (d) =>
        (d.route === "*" || d.route === route) &&
        d.direction === direction &&
        pathMatches(d.path, path) &&
        (d.message == null || [d.message].flat().some((part) => message.includes(part))),
    )
  }

  #validate(route, method, direction, body) {
    const validate = this.#validator(route, method, direction)
    if (validate == null || validate(body)) return []
    const seen = new Set()
    const found = []
    for (const error of closestBranches(validate.errors)) {
      const { pointer, message } = describeError(error)
      const path = pointerToPath(pointer)
      const key = `${path} ${message}`
      if (seen.has(key)) continue
      seen.add(key)
      const departure = this.#departure(route, direction, path, message)
      found.push({ direction, path, message, ...(departure ? { departure: departure.reason } : {}) })
    }
    return found
  }

  /**
   * Check one exchange. `request` is the parsed JSON body (null if none),
   * `response` the parsed JSON body. Returns the list of findings.
   */
  check({ route, method, request, status, response }) {
    const operations = this.#spec.paths[route]
    if (operations == null) {
      return [{ direction: "request", path: "(route)", message: `${route} is not a route of the spec` }]
    }
    const findings = []
    // Seam's clients send POST with a JSON body (spec: every route has a `post` with `requestBody`).
    if (method === "POST") {
      findings.push(...this.#validate(route, "post", "request", request ?? {}))
    } else if (operations[method.toLowerCase()] == null) {
      findings.push({ direction: "request", path: "(method)", message: `${method} is not a method of ${route}` })
    }
    // The spec only defines 200 bodies (its 400/401 entries have no content).
    if (status === 200) {
      const opMethod = operations[method.toLowerCase()] ? method.toLowerCase() : "post"
      findings.push(...this.#validate(route, opMethod, "response", response))
    }
    return findings
  }
}

/**
 * The exchange logger the server uses (null without a log file): each exchange
 * is appended, raw, as one JSON line; checkLog() checks them all at the end of
 * the test run in one process (compiling a route's schema takes up to a
 * second: once per run, not per sandbox, and never while the sandbox answers).
 */
export const createContractLog = (file) => {
  if (!file) return null
  return {
    record(exchange) {
      fs.appendFileSync(file, `${JSON.stringify(exchange)}\n`)
    },
  }
}

/** Parsed JSON, null for an empty body, undefined when it is not JSON. */
const parseJson = (text) => {
  if (text == null || text === "") return null
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Check every exchange in `file`; write one JSON line per exchange to `out`:
 * {"route", "status"} plus "findings" when it does not conform.
 */
export const checkLog = async (file, out) => {
  const checkers = await ContractChecker.createAll()
  const asJson = (text) => {
    const value = parseJson(text)
    return value === undefined ? text : value
  }
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
  const output = fs.openSync(out, "w")
  for await (const line of lines) {
    if (line.trim() === "") continue
    const exchange = JSON.parse(line)
    const findings = []
    const parsed = { ...exchange, request: asJson(exchange.request), response: asJson(exchange.response) }
    for (const checker of checkers) {
      const spec = checker.version
      try {
        findings.push(...checker.check(parsed).map((finding) => ({ ...finding, spec })))
      } catch (error) {
        findings.push({ spec, direction: "checker", path: "(checker)", message: String(error?.stack ?? error) })
      }
    }
    const result = { route: exchange.route, status: exchange.status }
    if (findings.length > 0) result.findings = findings
    fs.writeSync(output, `${JSON.stringify(result)}\n`)
  }
  fs.closeSync(output)
}

/**
 * Run `handler` (which answers on `res`) and record the exchange: the
 * response's bytes are copied as they are written.
 */
export const observeExchange = async (contractLog, { req, res, route, rawBody }, handler) => {
  if (contractLog == null) return handler()
  const chunks = []
  const write = res.write.bind(res)
  const end = res.end.bind(res)
  const keep = (chunk, encoding) => {
    if (chunk == null || typeof chunk === "function") return
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, typeof encoding === "string" ? encoding : "utf8"))
  }
  res.write = (chunk, encoding, cb) => {
    keep(chunk, encoding)
    return write(chunk, encoding, cb)
  }
  res.end = (chunk, encoding, cb) => {
    keep(chunk, encoding)
    return end(chunk, encoding, cb)
  }
  await handler()
  if (!res.writableEnded) await new Promise((resolve) => res.once("finish", resolve))
  contractLog.record({
    route,
    method: req.method,
    request: rawBody.toString("utf8"),
    status: res.statusCode,
    response: Buffer.concat(chunks).toString("utf8"),
  })
  return undefined
}

// CLI: node sandbox/lib/contract.mjs EXCHANGES.jsonl RESULTS.jsonl (tests/contract.py runs it).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, out] = process.argv.slice(2)
  await checkLog(file, out)
}
