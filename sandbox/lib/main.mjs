// The sandbox HTTP server: one loopback-only listener in front of the fake.
import http from "node:http"

import { DELEGATE, applyCodeSchedules, authenticate, handleApiRoute } from "./api.mjs"
import { createContractLog, observeExchange } from "./contract.mjs"
import { DEFAULT_CONFIG, handleControl } from "./control.mjs"
import { SANDBOX_API_KEY } from "./devices.mjs"
import { Faults } from "./faults.mjs"
import {
  captureResponse,
  HttpError,
  isJsonContentType,
  isLoopback,
  readBody,
  sendEmpty,
  sendError,
  sleep,
} from "./http.mjs"
import { persistSandbox } from "./persist.mjs"
import { createWorld, disposeWorld, newToken } from "./state.mjs"

const HOST = "127.0.0.1"

const log = (message) => {
  // stderr only: stdout carries the readiness lines and nothing after them.
  process.stderr.write(`[seam-sandbox] ${message}\n`)
}

const usage = `Usage: node sandbox/server.mjs [--port N]

Starts the local Seam sandbox on 127.0.0.1 (port from --port, $PORT or
$SEAM_SANDBOX_PORT; 0 or nothing = a free port) and prints
SEAM_API_URL=..., SEAM_API_KEY=... and SEAM_SANDBOX_READY when it answers.
Options:
  --port N             port to listen on (0 = any free port)
  --exit-with-parent   exit when the parent process goes away
  --contract-log FILE  check every API exchange against Seam's OpenAPI spec and
                       append the results to FILE (also $SEAM_SANDBOX_CONTRACT_LOG)
  --state-file PATH    keep the sandbox's state in PATH: restored at start,
                       saved after every change (default: start clean)
`

const parseArgs = (argv) => {
  const options = {
    port: undefined,
    exitWithParent: false,
    contractLog: process.env.SEAM_SANDBOX_CONTRACT_LOG,
    stateFile: undefined,
  }
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(usage)
      process.exit(0)
    } else if (arg === "--port") {
      options.port = argv[++i]
    } else if (arg.startsWith("--port=")) {
      options.port = arg.slice("--port=".length)
    } else if (arg === "--contract-log") {
      options.contractLog = argv[++i]
    } else if (arg === "--state-file") {
      options.stateFile = argv[++i]
    } else if (arg === "--exit-with-parent") {
      options.exitWithParent = true
    } else {
      process.stderr.write(`Unknown argument: ${arg}\n${usage}`)
      process.exit(2)
    }
  }
  const raw = options.port ?? process.env.PORT ?? process.env.SEAM_SANDBOX_PORT ?? "0"
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`Invalid port: ${raw}\n`)
    process.exit(2)
  }
  return { ...options, port }
}

const normalizePath = (pathname) => {
  const path = pathname.replace(/\/{2,}/g, "/").replace(/\/+$/, "")
  return path === "" ? "/" : path
}

const isPassThrough = (path) =>
  path === "/health" || path.startsWith("/health/") || path.startsWith("/_fake/")

const MALFORMED_BODY = '{"ok": true, "devices": [{"device_id": "salto_lock_front_d'

const createSandbox = (options) => {
  const sandbox = {
    contractLog: createContractLog(options.contractLog),
    world: null,
    port: 0,
    baseUrl: "",
    config: { ...DEFAULT_CONFIG },
    faults: new Faults(),
    requestCounts: new Map(),
    async reset() {
      const world = await createWorld({ port: sandbox.port, baseUrl: sandbox.baseUrl })
      const previous = sandbox.world
      sandbox.world = world
      if (previous != null) disposeWorld(previous)
      sandbox.config = { ...DEFAULT_CONFIG }
      sandbox.faults.clear()
      sandbox.requestCounts.clear()
    },
  }
  return sandbox
}

/** Give the request to the fake, with the already-read body attached. */
const delegateToFake = async (world, req, res, body) => {
  req.body = body == null || body === "" ? {} : body
  await world.handler(req, res)
}

/** Parse the body the way the fake does ("Invalid JSON" for bad JSON). */
const parseApiBody = (req, rawBody) => {
  if (rawBody.length === 0) return null
  const text = rawBody.toString("utf8")
  if (!isJsonContentType(req)) return text
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const runApi = async (sandbox, world, req, res, ctxBase) => {
  const body = parseApiBody(req, ctxBase.rawBody)
  if (body === undefined) {
    res.statusCode = 400
    res.setHeader("Content-Type", "text/plain")
    res.end("Invalid JSON")
    return
  }
  const ctx = { ...ctxBase, req, res, body, world, sandbox, newToken }
  try {
    if (handleApiRoute(ctx) === DELEGATE) {
      // Like the real API (and unlike the fake, which answers 400 missing_workspace_id): an unknown key is a 401.
      authenticate(ctx)
      await delegateToFake(world, req, res, body)
    }
  } catch (error) {
    if (error instanceof HttpError) {
      sendError(res, error.status, error.type, error.message, error.extra, {
        "seam-request-id": world.db.getNextRequestId(),
      })
      return
    }
    log(`error in ${ctxBase.path}: ${error?.message ?? error}`)
    if (!res.headersSent) sendError(res, 500, "internal_server_error", "Internal server error")
  }
}

const handleRequest = async (sandbox, req, res) => {
  const world = sandbox.world
  const rawUrl = req.url ?? "/"
  const url = new URL(rawUrl.startsWith("/") ? `${sandbox.baseUrl}${rawUrl}` : rawUrl, sandbox.baseUrl)
  const path = normalizePath(url.pathname)

  if (world == null) {
    sendEmpty(res, 503)
    return
  }

  if (isPassThrough(path)) {
    await world.handler(req, res)
    return
  }

  const rawBody = await readBody(req)

  if (path === "/_sandbox" || path.startsWith("/_sandbox/")) {
    if (!isLoopback(req.socket.remoteAddress)) {
      sendError(res, 403, "forbidden", "Sandbox control is loopback-only")
      return
    }
    await handleControl(sandbox, req, res, path.slice("/_sandbox/".length), url, rawBody)
    return
  }

  // ---- a Seam API request
  sandbox.requestCounts.set(path, (sandbox.requestCounts.get(path) ?? 0) + 1)
  const ctxBase = { url, path, method: req.method, rawBody }
  const fault = sandbox.faults.take(path, [
    "outage",
    "delay",
    "malformed",
    "unauthorized",
    "rate_limit",
    "drop",
  ])
  if (fault?.delay_s) await sleep(fault.delay_s * 1000)
  switch (fault?.kind) {
    case "outage":
      sendEmpty(res, fault.status ?? 503)
      return
    case "malformed":
      res.statusCode = 200
      res.setHeader("Content-Type", "application/json; charset=utf-8")
      res.end(MALFORMED_BODY)
      return
    case "unauthorized":
      sendError(res, 401, fault.error_type ?? "unauthorized", fault.message ?? "Unauthorized")
      return
    case "rate_limit":
      sendError(
        res,
        429,
        fault.error_type ?? "rate_limit_exceeded",
        fault.message ?? "Too many requests; try again later.",
        {},
        { "Retry-After": String(Math.ceil(fault.retry_after ?? 1)) },
      )
      return
    case "drop": {
      const capture = captureResponse(req)
      await runApi(sandbox, world, req, capture.res, ctxBase)
      await Promise.race([capture.done, sleep(30_000)])
      req.socket.destroy()
      return
    }
    default:
      // Only here: the injected faults above are deliberate departures and are not checked.
      // The check sees the bytes the client receives: nothing rewrites a response after this.
      await observeExchange(sandbox.contractLog, { req, res, route: path, rawBody }, () =>
        runApi(sandbox, world, req, res, ctxBase),
      )
  }
}

const checkHealth = (port) =>
  new Promise((resolve) => {
    const request = http.get({ host: HOST, port, path: "/health", timeout: 2000 }, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    request.on("error", () => resolve(false))
    request.on("timeout", () => {
      request.destroy()
      resolve(false)
    })
  })

export const main = async (argv) => {
  const options = parseArgs(argv)
  const sandbox = createSandbox(options)

  const server = http.createServer((req, res) => {
    handleRequest(sandbox, req, res).catch((error) => {
      if (error instanceof HttpError) {
        if (!res.headersSent) sendError(res, error.status, error.type, error.message, error.extra)
        return
      }
      log(`unhandled error: ${error?.message ?? error}`)
      if (!res.headersSent) sendError(res, 500, "internal_server_error", "Internal server error")
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5000

  await new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen({ host: HOST, port: options.port }, resolve)
  })
  sandbox.port = server.address().port
  sandbox.baseUrl = `http://${HOST}:${sandbox.port}`
  await sandbox.reset()
  // Seam moves codes along their lifecycle on its own, requests or not (see applyCodeSchedules).
  setInterval(() => {
    if (sandbox.world != null && !sandbox.world.disposed) applyCodeSchedules(sandbox)
  }, 1000).unref()
  if (options.stateFile) persistSandbox(sandbox, options.stateFile, log)

  let stopping = false
  const stop = (signal) => {
    if (stopping) return
    stopping = true
    log(`${signal}: stopping`)
    if (sandbox.world != null) disposeWorld(sandbox.world)
    server.close(() => process.exit(0))
    server.closeAllConnections()
    setTimeout(() => process.exit(0), 2000).unref()
  }
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => stop(signal))

  if (options.exitWithParent) {
    const parent = process.ppid
    setInterval(() => {
      if (process.ppid !== parent) stop("parent exited")
    }, 1000).unref()
  }

  for (let attempt = 0; !(await checkHealth(sandbox.port)); attempt += 1) {
    if (attempt > 100) throw new Error("the sandbox never became healthy")
    await sleep(50)
  }
  process.stdout.write(
    `SEAM_API_URL=${sandbox.baseUrl}\nSEAM_API_KEY=${SANDBOX_API_KEY}\nSEAM_SANDBOX_READY\n`,
  )
  // Nothing is written to stdout after this: the reader may stop reading or
  // close the pipe. Route any later console output to stderr and ignore EPIPE.
  process.stdout.on("error", () => {})
  for (const method of ["log", "info", "debug"]) console[method] = console.error
}
