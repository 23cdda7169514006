// Small HTTP helpers shared by the sandbox modules.
import { ServerResponse } from "node:http"

export const MAX_BODY_BYTES = 1024 * 1024

export class HttpError extends Error {
  constructor(status, type, message, extra = {}) {
    super(message)
    this.status = status
    this.type = type
    this.extra = extra
  }
}

export const badRequest = (message, type = "invalid_input") =>
  new HttpError(400, type, message)

export const notFound = (type, message) => new HttpError(404, type, message)

/** Read the whole request body (at most MAX_BODY_BYTES) as a Buffer. */
export const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    let failed = false
    req.on("data", (chunk) => {
      if (failed) return
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        failed = true
        reject(new HttpError(413, "payload_too_large", "Request body too large"))
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks))
    })
    req.on("error", (err) => {
      if (!failed) reject(err)
    })
  })

export const isJsonContentType = (req) =>
  (req.headers["content-type"] ?? "").toLowerCase().includes("json")

export const sendJson = (res, status, payload, headers = {}) => {
  const body = JSON.stringify(payload)
  res.statusCode = status
  res.setHeader("Content-Type", "application/json; charset=utf-8")
  res.setHeader("Content-Length", Buffer.byteLength(body))
  for (const [key, value] of Object.entries(headers)) res.setHeader(key, value)
  res.end(body)
}

export const sendOk = (res, payload, headers = {}) =>
  sendJson(res, 200, { ...payload, ok: true }, headers)

/** Seam-style error body: {"error": {type, message, ...}, "ok": false}. */
export const sendError = (res, status, type, message, extra = {}, headers = {}) =>
  sendJson(res, status, { error: { type, message, ...extra }, ok: false }, headers)

export const sendHtml = (res, status, html, headers = {}) => {
  res.statusCode = status
  res.setHeader("Content-Type", "text/html; charset=utf-8")
  res.setHeader("Content-Length", Buffer.byteLength(html))
  res.setHeader("Cache-Control", "no-store")
  for (const [key, value] of Object.entries(headers)) res.setHeader(key, value)
  res.end(html)
}

export const sendEmpty = (res, status, headers = {}) => {
  res.statusCode = status
  for (const [key, value] of Object.entries(headers)) res.setHeader(key, value)
  res.setHeader("Content-Length", 0)
  res.end()
}

/**
 * A ServerResponse that is never attached to a socket: everything written to
 * it is captured. `done` resolves with {status, headers, body} once `end` runs.
 */
export const captureResponse = (req) => {
  const res = new ServerResponse(req)
  const chunks = []
  let finish
  const done = new Promise((resolve) => {
    finish = resolve
  })
  const push = (chunk, encoding) => {
    if (chunk == null || typeof chunk === "function") return
    chunks.push(
      Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk, typeof encoding === "string" ? encoding : "utf8"),
    )
  }
  res.writeHead = (status, reason, headers) => {
    res.statusCode = status
    const h = typeof reason === "object" && reason != null ? reason : headers
    if (h != null) for (const [k, v] of Object.entries(h)) res.setHeader(k, v)
    return res
  }
  res.flushHeaders = () => {}
  res.write = (chunk, encoding, cb) => {
    push(chunk, encoding)
    const callback = typeof encoding === "function" ? encoding : cb
    if (typeof callback === "function") process.nextTick(callback)
    return true
  }
  res.end = (chunk, encoding, cb) => {
    push(chunk, encoding)
    const callback =
      typeof chunk === "function" ? chunk : typeof encoding === "function" ? encoding : cb
    if (typeof callback === "function") process.nextTick(callback)
    finish({ status: res.statusCode, headers: res.getHeaders(), body: Buffer.concat(chunks) })
    return res
  }
  return { res, done }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Longest delay setTimeout accepts; longer ones fire after 1 ms instead. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1

export const isLoopback = (address) =>
  address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1"

export const escapeHtml = (value) =>
  String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;")
