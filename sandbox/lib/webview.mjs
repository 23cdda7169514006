// The Connect Webview login page served at /_sandbox/webview.
import { timingSafeEqual } from "node:crypto"

import { authorizeConnectWebview } from "./api.mjs"
import { buildSaltoDevice } from "./devices.mjs"
import { escapeHtml, sendHtml } from "./http.mjs"

export const WEBVIEW_EMAIL = "jane@example.com"
export const WEBVIEW_PASSWORD = "1234"

const page = (title, body) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:2rem}
main{max-width:24rem;margin:auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
label{display:block;margin-top:1rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1.5rem;padding:.6rem 1.2rem}.error{color:#b00020}.success{color:#1b5e20}
.note{color:#666;font-size:.85rem}
</style>
</head>
<body><main>
${body}
</main></body>
</html>
`

const loginPage = ({ action, connect_webview_id, auth_token, error, email = "" }) =>
  page(
    "Connect Salto KS",
    `<h1>Salto KS</h1>
<p>Sign in with your Salto KS account to connect your locks (Seam sandbox).</p>
${error ? `<p class="error" id="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="connect_webview_id" value="${escapeHtml(connect_webview_id)}">
<input type="hidden" name="auth_token" value="${escapeHtml(auth_token)}">
<label>Email <input type="email" name="email" autocomplete="username" value="${escapeHtml(email)}" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
<p class="note">Sandbox login: ${WEBVIEW_EMAIL} / ${WEBVIEW_PASSWORD}</p>`,
  )

const successPage = (webview) => {
  const redirect = webview.custom_redirect_url
  return page(
    "Salto KS connected",
    `<h1 class="success" id="success">Success</h1>
<p>Your Salto KS account is connected. You can close this window.</p>
<p class="note">connected_account_id: <code id="connected_account_id">${escapeHtml(
      webview.connected_account_id ?? "",
    )}</code></p>
${redirect ? `<p><a id="redirect" href="${escapeHtml(redirect)}">Continue</a></p>` : ""}`,
  )
}

const forbiddenPage = () =>
  page("Forbidden", `<h1 class="error">403 Forbidden</h1><p>Invalid or missing webview token.</p>`)

const sameSecret = (a, b) => {
  const x = Buffer.from(String(a))
  const y = Buffer.from(String(b))
  return x.length === y.length && timingSafeEqual(x, y)
}

export const buildWebviewDevices = ({ n, connected_account_id, workspace_id }) => {
  const now = Date.now()
  const site = { site_id: `salto_site_webview_${n}`, site_name: "Jane's Office" }
  return [
    { suffix: 1, name: "Main Entrance", lock_type: "wall_reader", battery_level: 0.91 },
    { suffix: 2, name: "Bike Storage", lock_type: "cylinder", battery_level: 0.47, locked: false },
  ].map(({ suffix, ...spec }) =>
    buildSaltoDevice({
      ...spec,
      ...site,
      device_id: `salto_lock_webview_${n}_${suffix}`,
      connected_account_id,
      workspace_id,
      created_at: new Date(now + suffix).toISOString(),
    }),
  )
}

/** GET shows the form; POST checks the credentials. */
export const handleWebview = (world, req, res, url, form, config = {}) => {
  const connect_webview_id =
    url.searchParams.get("connect_webview_id") ?? form.connect_webview_id ?? ""
  const auth_token = url.searchParams.get("auth_token") ?? form.auth_token ?? ""
  const expected = world.webviewTokens.get(connect_webview_id)
  const webview = world.db
    .getState()
    .connect_webviews.find((cw) => cw.connect_webview_id === connect_webview_id)
  if (expected == null || webview == null || !auth_token || !sameSecret(auth_token, expected)) {
    sendHtml(res, 403, forbiddenPage())
    return
  }
  if (webview.status === "authorized") {
    sendHtml(res, 200, successPage(webview))
    return
  }
  const action = `/_sandbox/webview?${new URLSearchParams({ connect_webview_id, auth_token })}`
  if (req.method !== "POST") {
    sendHtml(res, 200, loginPage({ action, connect_webview_id, auth_token }))
    return
  }
  const email = String(form.email ?? "").trim()
  const password = String(form.password ?? "")
  if (email.toLowerCase() !== WEBVIEW_EMAIL || password !== WEBVIEW_PASSWORD) {
    sendHtml(
      res,
      200,
      loginPage({
        action,
        connect_webview_id,
        auth_token,
        email,
        error: "Invalid email or password. Please try again.",
      }),
    )
    return
  }
  const authorized = authorizeConnectWebview(world, connect_webview_id, {
    buildDevices: buildWebviewDevices,
    firstSyncDelayS: config.first_sync_delay_s ?? 0,
  })
  sendHtml(res, 200, successPage(authorized))
}
