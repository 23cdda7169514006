#!/usr/bin/env node
// Local Seam sandbox: @seamapi/fake-seam-connect + Salto KS data + test controls.
// Usage: node sandbox/server.mjs [--port N]   (see sandbox/lib/main.mjs)

// Before the fake is loaded: no stack traces in error bodies, no dev warnings.
process.env.NODE_ENV = "production"

const { main } = await import("./lib/main.mjs")

try {
  await main(process.argv.slice(2))
} catch (error) {
  process.stderr.write(`[seam-sandbox] failed to start: ${error?.message ?? error}\n`)
  process.exit(1)
}
