// Drive the "Manage access" card in headless Chromium (tests/test_card_browser.py runs this).
// Usage: node tests/card_browser.mjs <json: {dashboard, sandbox, owner, guest, salto, other, shots?}>
// Prints one line per step; exits non-zero (with a screenshot next to `shots` or in /tmp) on failure.
// Playwright's client (playwright-core, from sandbox/package.json) drives the system Chromium.
import assert from "node:assert/strict"
import { createRequire } from "node:module"

const require = createRequire(new URL("../sandbox/package.json", import.meta.url))
const { chromium } = require("playwright-core")

const args = JSON.parse(process.argv[2])
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium"
const PIN = /^\d{4,10}$/
const MASK = "••••••"
const step = (text) => console.log(`step: ${text}`)
const cardErrors = []
const GUEST = `Guest Alex${args.suffix ?? ""}`
const KIM = `Kim${args.suffix ?? ""}`

const logIn = async (browser, user, { dark = false, width = 1000 } = {}) => {
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    colorScheme: dark ? "dark" : "light",
    timezoneId: "UTC",
  })
  const page = await context.newPage()
  page.setDefaultTimeout(20_000)
  // The card's own uncaught errors fail the run; Home Assistant's others are only reported.
  page.on("pageerror", (error) => {
    if (`${error.stack}`.includes("seam-access-card")) cardErrors.push(error)
    console.error(`page error: ${error.message}\n${error.stack ?? ""}`)
  })
  await page.goto(args.dashboard)
  await page.getByLabel("Username").fill(user.username)
  await page.getByLabel("Password", { exact: true }).fill(user.password)
  await page.getByRole("button", { name: "Log in" }).click()
  await page.waitForURL((url) => !url.pathname.startsWith("/auth"))
  return page
}

const advanceSandboxClock = async (seconds) => {
  const response = await fetch(`${args.sandbox}/_sandbox/clock/advance`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ seconds }),
  })
  assert.equal(response.status, 200)
}

// "2026-12-24T15:00" for a datetime-local input, `hours` from now (the browser is in UTC).
const localInput = (hours) => new Date(Date.now() + hours * 3600_000).toISOString().slice(0, 16)

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] })
let page
try {
  page = await logIn(browser, args.owner)
  const card = page.locator("seam-access-card")
  const salto = card.locator(`section[data-entity="${args.salto.entity_id}"]`)
  const other = card.locator(`section[data-entity="${args.other.entity_id}"]`)
  await salto.getByText(args.salto.name).waitFor()
  await other.getByText(args.other.name).waitFor()
  await salto.getByText(/codes free/).waitFor()
  // Offered in the card picker, and suggested for a Seam lock.
  const picker = await page.evaluate(
    ([salto]) => {
      const entry = window.customCards.find((card) => card.type === "seam-access-card")
      const hass = document.querySelector("home-assistant").hass
      return { name: entry?.name, suggestion: entry?.getEntitySuggestion(hass, salto) }
    },
    [args.salto.entity_id],
  )
  assert.deepEqual(picker, {
    name: "Seam: Manage access",
    suggestion: { config: { type: "custom:seam-access-card", entities: [args.salto.entity_id] } },
  })
  step("the card shows both locks")

  // ---- add a code on two locks; see each PIN once ----------------------------------------
  const dialog = card.locator("ha-dialog")
  await card.getByRole("button", { name: "Add code" }).click()
  for (const lock of [args.salto, args.other]) {
    await dialog.locator(`ha-checkbox[data-lock="${lock.entity_id}"]`).click()
  }
  // A mistake: the create action's own words, in the card.
  await dialog.getByRole("button", { name: "Add", exact: true }).click()
  await dialog.locator("ha-alert").getByText("The name of an access code must not be empty").waitFor()
  await dialog.locator("#name input").fill(GUEST)
  await dialog.getByText("Salto KS assigns the PIN").waitFor()
  await dialog.getByRole("button", { name: "Add", exact: true }).click()
  await dialog.getByText("The PIN is shown here once").waitFor({ timeout: 40_000 })
  const masked = dialog.locator(".new-pin .pin")
  assert.equal(await masked.count(), 2)
  assert.deepEqual(await masked.allTextContents(), [MASK, MASK])
  const pins = []
  for (let index = 0; index < 2; index++) {
    await dialog.locator(`[data-reveal="${index}"]`).click()
    const pin = await masked.nth(index).textContent()
    assert.match(pin, PIN)
    pins.push(pin)
  }
  assert.equal(await dialog.locator("[data-copy]").count(), 2)
  if (args.shots) await page.screenshot({ path: `${args.shots}/card-new-pin.png` })
  await dialog.getByRole("button", { name: "Done" }).click()
  await dialog.locator(".new-pin").first().waitFor({ state: "detached" })
  await salto.getByText(GUEST).waitFor()
  await other.getByText(GUEST).waitFor()
  await salto.getByText("On the lock").first().waitFor()
  // Shown once: once the dialog is closed, no PIN is on the page.
  const text = await card.evaluate((element) => element.shadowRoot.textContent)
  for (const pin of pins) assert.ok(!text.includes(pin), "a PIN stayed on the page")
  step("added a code on two locks and saw each PIN once")

  // ---- a Salto code whose PIN comes later ------------------------------------------------
  await card.getByRole("button", { name: "Add code" }).click()
  await dialog.locator("#name input").fill(KIM)
  await dialog.locator(`ha-checkbox[data-lock="${args.salto.entity_id}"]`).click()
  await dialog.locator("#ongoing").click()
  // Ten days ahead: no PIN yet, whether Salto assigns it at the start or up to 72 h before.
  await dialog.locator("#starts input").fill(localInput(240))
  await dialog.locator("#ends input").fill(localInput(288))
  if (args.shots) {
    await page.waitForTimeout(500) // the dialog's opening animation
    await page.screenshot({ path: `${args.shots}/card-add.png` })
  }
  await dialog.getByRole("button", { name: "Add", exact: true }).click()
  await dialog.getByText("PIN pending: Salto assigns it").waitFor()
  await dialog.getByRole("button", { name: "Done" }).click()
  await dialog.getByText("PIN pending: Salto assigns it").waitFor({ state: "detached" })
  const kim = salto.locator(".code", { hasText: KIM })
  await kim.getByText("PIN pending: Salto assigns it up to three days before check-in").waitFor()
  assert.equal(await kim.locator('[data-action="reveal"]').count(), 0)
  if (args.shots) await page.screenshot({ path: `${args.shots}/card-light.png` })
  step("a future Salto code shows PIN pending")

  // The sandbox's clock passes the code's start: Salto assigns the PIN, the card shows it live.
  await advanceSandboxClock(240 * 3600 + 120)
  await kim.getByText("On the lock").waitFor()
  await kim.locator('[data-action="reveal"]').click()
  await kim.locator(".pin").filter({ hasText: PIN }).waitFor()
  step("the Salto code's PIN arrived without a reload")

  // ---- edit its window -------------------------------------------------------------------
  await kim.locator('[data-action="edit"]').click()
  const until = localInput(312)
  await dialog.locator("#ends input").fill(until)
  await dialog.getByRole("button", { name: "Save" }).click()
  const untilText = await page.evaluate(
    (iso) =>
      new Date(`${iso}:00Z`).toLocaleString(undefined, {
        weekday: "short",
        day: "numeric",
        month: "short",
        hour: "2-digit",
        minute: "2-digit",
      }),
    until,
  )
  await kim.getByText(untilText, { exact: false }).waitFor()
  step("edited its window")

  // ---- delete it -------------------------------------------------------------------------
  await kim.locator('[data-action="delete"]').click()
  await dialog.getByText("stops opening the door").waitFor()
  await dialog.getByRole("button", { name: "Delete" }).click()
  await kim.waitFor({ state: "detached" })
  step("deleted it")

  if (args.shots) {
    for (const [name, options] of [
      ["card-dark", { dark: true }],
      ["card-phone", { width: 390 }],
    ]) {
      const shot = await logIn(browser, args.owner, options)
      await shot.locator("seam-access-card").getByText(GUEST).first().waitFor()
      await shot.waitForTimeout(1000)
      await shot.screenshot({ path: `${args.shots}/${name}.png`, fullPage: true })
      await shot.context().close()
    }
  }

  // ---- someone who is not an administrator -----------------------------------------------
  const guestPage = await logIn(browser, args.guest)
  const guestCard = guestPage.locator("seam-access-card")
  await guestCard.getByText("Only administrators can manage access codes.").waitFor()
  const guestText = await guestCard.evaluate((element) => element.shadowRoot.textContent)
  assert.ok(!guestText.includes(GUEST), "a non-admin saw a code")
  assert.equal(await guestCard.getByRole("button", { name: "Add code" }).count(), 0)
  if (args.shots) await guestPage.screenshot({ path: `${args.shots}/card-non-admin.png` })
  step("a non-admin user is refused")
  assert.deepEqual(cardErrors, [], "the card threw")
} catch (error) {
  if (page) await page.screenshot({ path: `${args.shots ?? "/tmp"}/card-failure.png` }).catch(() => {})
  throw error
} finally {
  await browser.close()
}
