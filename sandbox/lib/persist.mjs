// Optional persistence of the sandbox's state to a JSON file (`--state-file PATH`), so that
// scripts/develop keeps linked accounts, locks and access codes across runs. Without the flag
// (tests, scripts/sandbox) every start is clean. Not a Seam behaviour: a convenience of the
// local sandbox, like its /_sandbox/ control API.
import fs from "node:fs"
import path from "node:path"

const FORMAT = 1
const SAVE_DELAY_MS = 300

/** The fake's database without its actions (functions), as plain JSON. */
const dataOf = (db) =>
  Object.fromEntries(Object.entries(db.getState()).filter(([, v]) => typeof v !== "function"))

export const snapshotWorld = (world) => ({
  format: FORMAT,
  database: dataOf(world.db),
  roles: world.roles,
  saltoDeviceIds: world.saltoDeviceIds,
  otherLockDeviceIds: world.otherLockDeviceIds,
  webviewTokens: [...world.webviewTokens],
  counters: world.counters,
  // Access code schedules (api.mjs, applyCodeSchedules): codes waiting for their PIN, and
  // ended codes already handled.
  codesWaitingForStart: [...world.codesWaitingForStart],
  expiredCodes: [...world.expiredCodes],
})

/**
 * Put a snapshot back into a freshly built world. The database is merged with
 * setState (not replaced: replacing drops the store's actions, which is why the
 * fake's own `PUT /_fake/database` leaves a broken store).
 */
export const restoreWorld = (world, snapshot) => {
  if (snapshot?.format !== FORMAT) throw new Error(`unsupported state file format ${snapshot?.format}`)
  world.db.setState(snapshot.database)
  world.roles = snapshot.roles
  world.saltoDeviceIds = snapshot.saltoDeviceIds
  world.otherLockDeviceIds = snapshot.otherLockDeviceIds
  world.webviewTokens = new Map(snapshot.webviewTokens)
  world.counters = snapshot.counters
  world.codesWaitingForStart = new Set(snapshot.codesWaitingForStart ?? [])
  world.expiredCodes = new Set(snapshot.expiredCodes ?? [])
}

const writeAtomically = (file, text) => {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text)
  fs.renameSync(tmp, file)
}

/**
 * Restore `sandbox.world` from `file` if it exists, then save it there after
 * every change (debounced), after a reset through the control API, and at exit.
 */
export const persistSandbox = (sandbox, file, log) => {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  if (fs.existsSync(file)) {
    restoreWorld(sandbox.world, JSON.parse(fs.readFileSync(file, "utf8")))
    log(`restored the sandbox state from ${file}`)
  }
  let timer = null
  let unsubscribe = () => {}
  const save = () => {
    clearTimeout(timer)
    timer = null
    if (sandbox.world != null) writeAtomically(file, JSON.stringify(snapshotWorld(sandbox.world)))
  }
  const watch = () => {
    unsubscribe()
    unsubscribe = sandbox.world.db.subscribe(() => {
      timer ??= setTimeout(save, SAVE_DELAY_MS)
    })
  }
  const reset = sandbox.reset
  sandbox.reset = async () => {
    await reset()
    watch()
    save()
  }
  watch()
  save()
  // The server's signal handlers end with process.exit(): save synchronously then.
  process.on("exit", save)
}
