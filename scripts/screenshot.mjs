// Log in to Home Assistant in headless Chromium and save a screenshot of a dashboard.
// Usage: node scripts/screenshot.mjs <dashboard url> <username> <password> <out.png>
// Playwright's client (playwright-core, from sandbox/package.json) drives the system Chromium.
import { createRequire } from "node:module"

const require = createRequire(new URL("../sandbox/package.json", import.meta.url))
const { chromium } = require("playwright-core")

const [url, username, password, out] = process.argv.slice(2)
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium"

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] })
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 }, deviceScaleFactor: 1 })
  page.setDefaultTimeout(30_000)
  await page.goto(url)
  await page.getByLabel("Username").fill(username)
  await page.getByLabel("Password", { exact: true }).fill(password)
  await page.keyboard.press("Enter")
  await page.waitForURL((u) => !u.pathname.startsWith("/auth"))
  // Home Assistant asks once to confirm the HTTP settings from configuration.yaml.
  const confirm = page.getByRole("button", { name: "Confirm" })
  if (await confirm.isVisible({ timeout: 5000 }).catch(() => false)) await confirm.click()
  await page.goto(url)
  try {
    await page.getByText("Front Door").first().waitFor()
  } catch (error) {
    await page.screenshot({ path: `${out}.failed.png` })
    throw error
  }
  await page.waitForTimeout(1500) // let icons and fonts settle
  await page.screenshot({ path: out })
} finally {
  await browser.close()
}
