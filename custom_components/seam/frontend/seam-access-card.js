// Seam "Manage access" card: each Seam lock's access codes, live, with add, edit and delete.
//
// Plain JavaScript, no build step: the integration serves this file and adds it to the
// dashboards' resources. It uses Home Assistant's own elements (ha-card, ha-button, ha-input,
// ha-dialog, ha-icon-button, ha-alert, ha-switch, ha-checkbox) and theme variables, and talks to
// the integration's websocket API (seam/access_codes/*, admins only; see the README).
// PINs are never kept: one is fetched when the user reveals it and forgotten when hidden.

const CARD_TYPE = "seam-access-card"

const PATHS = {
  pencil:
    "M20.71,7.04C21.1,6.65 21.1,6 20.71,5.63L18.37,3.29C18,2.9 17.35,2.9 16.96,3.29L15.12,5.12L18.87,8.87M3,17.25V21H6.75L17.81,9.93L14.06,6.18L3,17.25Z",
  delete: "M19,4H15.5L14.5,3H9.5L8.5,4H5V6H19M6,19A2,2 0 0,0 8,21H16A2,2 0 0,0 18,19V7H6V19Z",
  eye: "M12,9A3,3 0 0,0 9,12A3,3 0 0,0 12,15A3,3 0 0,0 15,12A3,3 0 0,0 12,9M12,17A5,5 0 0,1 7,12A5,5 0 0,1 12,7A5,5 0 0,1 17,12A5,5 0 0,1 12,17M12,4.5C7,4.5 2.73,7.61 1,12C2.73,16.39 7,19.5 12,19.5C17,19.5 21.27,16.39 23,12C21.27,7.61 17,4.5 12,4.5Z",
  eyeOff:
    "M11.83,9L15,12.16C15,12.11 15,12.05 15,12A3,3 0 0,0 12,9C11.94,9 11.89,9 11.83,9M7.53,9.8L9.08,11.35C9.03,11.56 9,11.77 9,12A3,3 0 0,0 12,15C12.22,15 12.44,14.97 12.65,14.92L14.2,16.47C13.53,16.8 12.79,17 12,17A5,5 0 0,1 7,12C7,11.21 7.2,10.47 7.53,9.8M2,4.27L4.28,6.55L4.73,7C3.08,8.3 1.78,10 1,12C2.73,16.39 7,19.5 12,19.5C13.55,19.5 15.03,19.2 16.38,18.66L16.81,19.08L19.73,22L21,20.73L3.27,3M12,7A5,5 0 0,1 17,12C17,12.64 16.87,13.26 16.64,13.82L19.57,16.75C21.07,15.5 22.27,13.86 23,12C21.27,7.61 17,4.5 12,4.5C10.6,4.5 9.26,4.75 8,5.2L10.17,7.35C10.74,7.13 11.35,7 12,7Z",
  copy: "M19,21H8V7H19M19,5H8A2,2 0 0,0 6,7V21A2,2 0 0,0 8,23H19A2,2 0 0,0 21,21V7A2,2 0 0,0 19,5M16,1H4A2,2 0 0,0 2,3V17H4V3H16V1Z",
}

// What a code is doing (the websocket API's "state"), in words.
const STATE_WORDS = {
  on_lock: "On the lock",
  setting: "Being set",
  pin_pending: "PIN pending: Salto assigns it up to three days before check-in",
  scheduled: "Scheduled",
  expired: "Expired",
  removing: "Being removed",
  failed: "Failed",
  unknown: "Status unknown",
}
// Sort order: what needs attention, then what works now, then what comes, then what is over.
const STATE_ORDER = {
  failed: 0,
  setting: 1,
  on_lock: 2,
  pin_pending: 3,
  scheduled: 3,
  unknown: 4,
  removing: 5,
  expired: 6,
}

const escapeHtml = (text) =>
  String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const formatTime = (iso) =>
  new Date(iso).toLocaleString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  })

// "2026-12-24T15:00" (what a datetime-local input holds, in the browser's time zone).
const toLocalInput = (iso) => {
  const date = new Date(iso)
  const pad = (n) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}
const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null)

const windowText = (code) =>
  code.type === "ongoing" || !code.starts_at
    ? "Ongoing"
    : `${formatTime(code.starts_at)} – ${formatTime(code.ends_at)}`

const stateText = (code) => {
  if (code.state === "failed") {
    const reasons = code.errors.map((error) => error.message || error.code).join("; ")
    return reasons ? `Failed: ${reasons}` : STATE_WORDS.failed
  }
  return STATE_WORDS[code.state] ?? STATE_WORDS.unknown
}

const sortCodes = (codes) =>
  [...codes].sort(
    (a, b) =>
      (STATE_ORDER[a.state] ?? 4) - (STATE_ORDER[b.state] ?? 4) ||
      (a.starts_at ?? "").localeCompare(b.starts_at ?? "") ||
      a.name.localeCompare(b.name),
  )

const errorMessage = (error) => error?.message || String(error)

class SeamAccessCard extends HTMLElement {
  constructor() {
    super()
    this.attachShadow({ mode: "open" })
    this._locks = new Map() // entity_id -> lock (websocket API's shape)
    this._pins = new Map() // access_code_id -> revealed PIN (until hidden)
    this._error = null
    this._unsubscribe = null
    this._subscribing = false
    this._dialog = null // {mode, ...}
  }

  static getStubConfig() {
    return {}
  }

  // The card picker offers this card for a Seam lock (Home Assistant 2026.6+).
  static getEntitySuggestion(hass, entityId) {
    if (!entityId.startsWith("lock.") || hass.entities?.[entityId]?.platform !== "seam") return null
    return { config: { type: `custom:${CARD_TYPE}`, entities: [entityId] } }
  }

  setConfig(config) {
    if (config.entities !== undefined && !Array.isArray(config.entities)) {
      throw new Error("entities must be a list of Seam lock entity ids")
    }
    this._config = config
    this._resubscribe()
  }

  set hass(hass) {
    const first = !this._hass
    this._hass = hass
    if (first) {
      this._render()
      this._subscribe()
    }
  }

  get hass() {
    return this._hass
  }

  getCardSize() {
    return 2 + [...this._locks.values()].reduce((n, lock) => n + (lock.codes?.length ?? 0), 0)
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6 }
  }

  connectedCallback() {
    this._subscribe()
  }

  disconnectedCallback() {
    clearTimeout(this._retry)
    this._unsubscribeNow()
  }

  get _isAdmin() {
    return Boolean(this._hass?.user?.is_admin)
  }

  _unsubscribeNow() {
    const unsubscribe = this._unsubscribe
    this._unsubscribe = null
    if (unsubscribe) unsubscribe.then((fn) => fn()).catch(() => {})
  }

  _resubscribe() {
    this._unsubscribeNow()
    this._locks.clear()
    this._subscribe()
  }

  _subscribe() {
    if (!this._hass || !this._config || this._unsubscribe || !this.isConnected) return
    if (!this._isAdmin) {
      this._render()
      return
    }
    const message = { type: "seam/access_codes/subscribe" }
    if (this._config.entities?.length) message.entity_ids = this._config.entities
    this._unsubscribe = this._hass.connection.subscribeMessage((event) => {
      if (event.ended) {
        // The Seam entry unloaded (e.g. a reload): subscribe again once it is back.
        this._resubscribe()
        this._renderLocks()
        return
      }
      for (const lock of event.locks) this._locks.set(lock.entity_id, lock)
      this._error = null
      this._renderLocks()
    }, message)
    this._unsubscribe.catch((error) => {
      this._unsubscribe = null
      this._error = errorMessage(error)
      this._render()
      // Not while the entry is (re)loading: try again in a few seconds.
      if (error?.code !== "unauthorized") this._retryLater()
    })
  }

  _retryLater() {
    clearTimeout(this._retry)
    this._retry = setTimeout(() => this._subscribe(), 5000)
  }

  // ---- rendering -------------------------------------------------------------------------

  _render() {
    const title = this._config?.title ?? "Manage access"
    this.shadowRoot.innerHTML = `
      <style>${STYLES}</style>
      <ha-card>
        <h1 class="card-header">${escapeHtml(title)}</h1>
        <div class="card-content">
          <div id="alert"></div>
          <div id="locks"></div>
        </div>
        ${this._isAdmin ? `<div class="card-actions"><ha-button id="add">Add code</ha-button></div>` : ""}
      </ha-card>
      <ha-dialog id="dialog"></ha-dialog>`
    this.shadowRoot.getElementById("add")?.addEventListener("click", () => this._openAdd())
    const dialog = this.shadowRoot.getElementById("dialog")
    dialog.addEventListener("closed", () => this._closed())
    this._renderLocks()
  }

  _renderLocks() {
    const root = this.shadowRoot
    const alert = root.getElementById("alert")
    const container = root.getElementById("locks")
    if (!alert || !container) return
    if (!this._isAdmin) {
      alert.innerHTML = `<ha-alert alert-type="info">Only administrators can manage access codes.</ha-alert>`
      container.innerHTML = ""
      return
    }
    alert.innerHTML = this._error
      ? `<ha-alert alert-type="error">${escapeHtml(this._error)}</ha-alert>`
      : ""
    if (this._locks.size === 0) {
      container.innerHTML = this._error ? "" : `<div class="empty">Loading…</div>`
      return
    }
    container.innerHTML = [...this._locks.values()].map((lock) => this._lockHtml(lock)).join("")
    container.querySelectorAll("[data-action]").forEach((button) =>
      button.addEventListener("click", () => {
        const { action, entity, code } = button.dataset
        const lock = this._locks.get(entity)
        const found = lock?.codes?.find((c) => c.access_code_id === code)
        if (action === "reveal") this._reveal(lock, found)
        else if (action === "edit") this._openEdit(lock, found)
        else if (action === "delete") this._openDelete(lock, found)
      }),
    )
  }

  _lockHtml(lock) {
    let capacity = ""
    if (lock.max_active_codes != null && lock.active_codes != null) {
      const free = Math.max(lock.max_active_codes - lock.active_codes, 0)
      capacity = `<span class="capacity">${free} of ${lock.max_active_codes} codes free</span>`
    }
    let codes
    if (lock.codes == null) codes = `<div class="empty">Reading the lock's codes…</div>`
    else if (lock.codes.length === 0) codes = `<div class="empty">No access codes</div>`
    else codes = sortCodes(lock.codes).map((code) => this._codeHtml(lock, code)).join("")
    return `
      <section class="lock" data-entity="${escapeHtml(lock.entity_id)}">
        <div class="lock-head">
          <ha-icon icon="mdi:lock-outline"></ha-icon>
          <span class="lock-name">${escapeHtml(lock.name)}</span>
          ${lock.online ? "" : `<span class="offline">Offline</span>`}
          ${capacity}
        </div>
        ${codes}
      </section>`
  }

  _codeHtml(lock, code) {
    const ids = `data-entity="${escapeHtml(lock.entity_id)}" data-code="${escapeHtml(code.access_code_id)}"`
    const pin = this._pins.get(code.access_code_id)
    const pinHtml = code.has_pin
      ? `<span class="pin" aria-label="PIN">${pin ? escapeHtml(pin) : "••••••"}</span>
         <ha-icon-button data-action="reveal" ${ids} label="${pin ? "Hide PIN" : "Show PIN"}"
           path="${pin ? PATHS.eyeOff : PATHS.eye}"></ha-icon-button>`
      : ""
    return `
      <div class="code state-${escapeHtml(code.state)}" data-code-row="${escapeHtml(code.access_code_id)}">
        <div class="code-main">
          <div class="code-name">${escapeHtml(code.name || "(no name)")}</div>
          <div class="code-window">${escapeHtml(windowText(code))}</div>
          <div class="code-state">${escapeHtml(stateText(code))}</div>
        </div>
        <div class="code-actions">
          ${pinHtml}
          ${
            code.is_managed
              ? `<ha-icon-button data-action="edit" ${ids} label="Edit" path="${PATHS.pencil}"></ha-icon-button>
                 <ha-icon-button data-action="delete" ${ids} label="Delete" path="${PATHS.delete}"></ha-icon-button>`
              : ""
          }
        </div>
      </div>`
  }

  // ---- PINs ------------------------------------------------------------------------------

  async _reveal(lock, code) {
    if (!lock || !code) return
    if (this._pins.has(code.access_code_id)) {
      this._pins.delete(code.access_code_id)
      this._renderLocks()
      return
    }
    try {
      const result = await this._hass.callWS({
        type: "seam/access_codes/get",
        entity_id: lock.entity_id,
        access_code_id: code.access_code_id,
      })
      if (result.code) this._pins.set(code.access_code_id, result.code)
      this._error = null
    } catch (error) {
      this._error = errorMessage(error)
    }
    this._renderLocks()
  }

  async _copy(text) {
    try {
      await navigator.clipboard.writeText(text)
    } catch {
      // Not a secure context (plain http): copy through a hidden text area.
      const area = document.createElement("textarea")
      area.value = text
      area.style.position = "fixed"
      area.style.opacity = "0"
      this.shadowRoot.appendChild(area)
      area.select()
      document.execCommand("copy")
      area.remove()
    }
    this.dispatchEvent(
      new CustomEvent("hass-notification", {
        detail: { message: "PIN copied" },
        bubbles: true,
        composed: true,
      }),
    )
  }

  // ---- dialogs ---------------------------------------------------------------------------

  _showDialog(title, body, footer, setup) {
    const dialog = this.shadowRoot.getElementById("dialog")
    dialog.setAttribute("header-title", title)
    dialog.headerTitle = title
    dialog.innerHTML = `${body}<div slot="footer" class="footer">${footer}</div>`
    setup?.(dialog)
    dialog.open = true
  }

  _hideDialog() {
    const dialog = this.shadowRoot.getElementById("dialog")
    if (!dialog) return
    // A shown PIN goes at once, not after the closing animation.
    dialog.querySelectorAll(".new-pin .pin").forEach((pin) => {
      pin.textContent = "••••••"
    })
    dialog.open = false
  }

  _closed() {
    // The new PINs shown once are forgotten with the dialog.
    const dialog = this.shadowRoot.getElementById("dialog")
    if (dialog && !dialog.open) dialog.innerHTML = ""
    this._dialog = null
  }

  _windowFields(code) {
    const ongoing = !code || code.type === "ongoing" || !code.starts_at
    return `
      <label class="switch-row">
        <ha-switch id="ongoing" ${ongoing ? "checked" : ""}></ha-switch>
        <span>Ongoing (no start or end)</span>
      </label>
      <div id="window" class="window-fields" ${ongoing ? "hidden" : ""}>
        <ha-input id="starts" type="datetime-local" label="From"
          value="${code?.starts_at ? toLocalInput(code.starts_at) : ""}"></ha-input>
        <ha-input id="ends" type="datetime-local" label="Until"
          value="${code?.ends_at ? toLocalInput(code.ends_at) : ""}"></ha-input>
      </div>`
  }

  _bindWindow(dialog) {
    const ongoing = dialog.querySelector("#ongoing")
    const window = dialog.querySelector("#window")
    ongoing.addEventListener("change", () => {
      window.hidden = ongoing.checked
    })
  }

  _readWindow(dialog) {
    if (dialog.querySelector("#ongoing").checked) return { ongoing: true }
    return {
      ongoing: false,
      starts_at: fromLocalInput(dialog.querySelector("#starts").value),
      ends_at: fromLocalInput(dialog.querySelector("#ends").value),
    }
  }

  _dialogError(dialog, message) {
    const slot = dialog.querySelector("#dialog-error")
    if (slot) slot.innerHTML = message ? `<ha-alert alert-type="error">${escapeHtml(message)}</ha-alert>` : ""
  }

  _busy(dialog, busy) {
    dialog.querySelectorAll("ha-button").forEach((button) => {
      button.disabled = busy
    })
  }

  _openAdd() {
    const locks = [...this._locks.values()]
    const only = locks.length === 1
    const lockBoxes = locks
      .map(
        (lock) => `
        <label class="check-row">
          <ha-checkbox data-lock="${escapeHtml(lock.entity_id)}" ${only ? "checked" : ""}></ha-checkbox>
          <span>${escapeHtml(lock.name)}</span>
        </label>`,
      )
      .join("")
    this._showDialog(
      "Add access code",
      `<div id="dialog-error"></div>
       <ha-input id="name" label="Name" required></ha-input>
       <div class="field-label">Locks</div>
       <div class="locks-choice">${lockBoxes}</div>
       ${this._windowFields(null)}
       <div id="pin-field"></div>`,
      `<ha-button appearance="plain" id="cancel">Cancel</ha-button>
       <ha-button id="save">Add</ha-button>`,
      (dialog) => {
        this._bindWindow(dialog)
        const updatePin = () => this._renderPinField(dialog)
        dialog.querySelectorAll("ha-checkbox").forEach((box) => box.addEventListener("change", updatePin))
        updatePin()
        dialog.querySelector("#cancel").addEventListener("click", () => this._hideDialog())
        dialog.querySelector("#save").addEventListener("click", () => this._create(dialog))
      },
    )
  }

  _selectedLocks(dialog) {
    return [...dialog.querySelectorAll("ha-checkbox")]
      .filter((box) => box.checked)
      .map((box) => this._locks.get(box.dataset.lock))
      .filter(Boolean)
  }

  // A PIN field only where every chosen lock lets the user choose; Salto KS assigns its own.
  _renderPinField(dialog) {
    const slot = dialog.querySelector("#pin-field")
    const chosen = this._selectedLocks(dialog)
    const previous = slot.querySelector("#pin")?.value ?? ""
    if (chosen.length && chosen.every((lock) => lock.can_choose_pin)) {
      const lengths = [...new Set(chosen.flatMap((lock) => lock.code_lengths))].sort((a, b) => a - b)
      const hint = lengths.length ? `${lengths.join(" or ")} digits` : "digits only"
      slot.innerHTML = `<ha-input id="pin" label="PIN (optional: empty lets the lock choose)"
        hint="${escapeHtml(hint)}" inputmode="numeric" autocomplete="off"></ha-input>`
      slot.querySelector("#pin").value = previous
    } else if (chosen.some((lock) => lock.is_salto)) {
      slot.innerHTML = `<div class="hint">Salto KS assigns the PIN: you get it when Salto does.</div>`
    } else {
      slot.innerHTML = chosen.length ? `<div class="hint">The lock chooses the PIN.</div>` : ""
    }
  }

  async _create(dialog) {
    const locks = this._selectedLocks(dialog)
    if (!locks.length) {
      this._dialogError(dialog, "Choose at least one lock.")
      return
    }
    const window = this._readWindow(dialog)
    const message = {
      type: "seam/access_codes/create",
      entity_ids: locks.map((lock) => lock.entity_id),
      name: dialog.querySelector("#name").value ?? "",
    }
    if (!window.ongoing) {
      if (window.starts_at) message.starts_at = window.starts_at
      if (window.ends_at) message.ends_at = window.ends_at
    }
    const pin = dialog.querySelector("#pin")?.value
    if (pin) message.code = pin
    this._busy(dialog, true)
    this._dialogError(dialog, null)
    let result
    try {
      result = await this._hass.callWS(message)
    } catch (error) {
      this._busy(dialog, false)
      this._dialogError(dialog, errorMessage(error))
      return
    }
    const entries = Object.entries(result.results)
    const errors = entries.filter(([, outcome]) => outcome.error)
    if (errors.length === entries.length) {
      // Nothing was created: stay in the form with the reason(s).
      this._busy(dialog, false)
      const messages = [...new Set(errors.map(([, outcome]) => outcome.error.message))]
      this._dialogError(
        dialog,
        messages.length === 1
          ? messages[0]
          : errors.map(([id, outcome]) => `${this._lockName(id)}: ${outcome.error.message}`).join("\n"),
      )
      return
    }
    this._showCreated(entries)
  }

  _lockName(entityId) {
    return this._locks.get(entityId)?.name ?? entityId
  }

  // The new PINs, shown once: masked, with reveal and copy buttons.
  _showCreated(entries) {
    const pins = new Map()
    const rows = entries
      .map(([entityId, outcome], index) => {
        const name = escapeHtml(this._lockName(entityId))
        if (outcome.error) {
          return `<div class="created"><div class="created-lock">${name}</div>
            <ha-alert alert-type="error">${escapeHtml(outcome.error.message)}</ha-alert></div>`
        }
        const code = outcome.access_code
        if (!code.code) {
          const lock = this._locks.get(entityId)
          const later = lock?.is_salto && code.starts_at && new Date(code.starts_at) > new Date()
          return `<div class="created"><div class="created-lock">${name}</div>
            <div class="hint">${later ? STATE_WORDS.pin_pending : "The lock has not assigned the PIN yet: it appears in the list when it does."}</div></div>`
        }
        pins.set(String(index), code.code)
        return `<div class="created"><div class="created-lock">${name}</div>
          <div class="new-pin">
            <span class="pin" data-pin="${index}">••••••</span>
            <ha-icon-button data-reveal="${index}" label="Show PIN" path="${PATHS.eye}"></ha-icon-button>
            <ha-icon-button data-copy="${index}" label="Copy PIN" path="${PATHS.copy}"></ha-icon-button>
          </div></div>`
      })
      .join("")
    this._showDialog(
      "Access code added",
      `<p class="hint">The PIN is shown here once. Copy it or write it down before you close this window.</p>${rows}`,
      `<ha-button id="done">Done</ha-button>`,
      (dialog) => {
        dialog.querySelector("#done").addEventListener("click", () => this._hideDialog())
        dialog.querySelectorAll("[data-reveal]").forEach((button) =>
          button.addEventListener("click", () => {
            const index = button.dataset.reveal
            const shown = dialog.querySelector(`[data-pin="${index}"]`)
            const masked = shown.textContent === "••••••"
            shown.textContent = masked ? pins.get(index) : "••••••"
            button.label = masked ? "Hide PIN" : "Show PIN"
            button.path = masked ? PATHS.eyeOff : PATHS.eye
          }),
        )
        dialog.querySelectorAll("[data-copy]").forEach((button) =>
          button.addEventListener("click", () => this._copy(pins.get(button.dataset.copy))),
        )
      },
    )
  }

  _openEdit(lock, code) {
    if (!lock || !code) return
    this._showDialog(
      `Edit access code`,
      `<div id="dialog-error"></div>
       <div class="hint">${escapeHtml(lock.name)}</div>
       <ha-input id="name" label="Name" required value="${escapeHtml(code.name)}"></ha-input>
       ${this._windowFields(code)}`,
      `<ha-button appearance="plain" id="cancel">Cancel</ha-button>
       <ha-button id="save">Save</ha-button>`,
      (dialog) => {
        this._bindWindow(dialog)
        dialog.querySelector("#cancel").addEventListener("click", () => this._hideDialog())
        dialog.querySelector("#save").addEventListener("click", () => this._update(dialog, lock, code))
      },
    )
  }

  async _update(dialog, lock, code) {
    const message = {
      type: "seam/access_codes/update",
      entity_id: lock.entity_id,
      access_code_id: code.access_code_id,
    }
    const name = dialog.querySelector("#name").value ?? ""
    if (name !== code.name) message.name = name
    const window = this._readWindow(dialog)
    const wasOngoing = code.type === "ongoing" || !code.starts_at
    const minute = (iso) => (iso ? Math.floor(new Date(iso).getTime() / 60000) : null)
    if (window.ongoing && !wasOngoing) message.ongoing = true
    if (
      !window.ongoing &&
      (minute(window.starts_at) !== minute(code.starts_at) || minute(window.ends_at) !== minute(code.ends_at))
    ) {
      if (window.starts_at) message.starts_at = window.starts_at
      if (window.ends_at) message.ends_at = window.ends_at
    }
    await this._send(dialog, message)
  }

  _openDelete(lock, code) {
    if (!lock || !code) return
    this._showDialog(
      "Delete access code?",
      `<div id="dialog-error"></div>
       <p>“${escapeHtml(code.name)}” on ${escapeHtml(lock.name)} stops opening the door. This cannot be undone.</p>`,
      `<ha-button appearance="plain" id="cancel">Cancel</ha-button>
       <ha-button variant="danger" id="save">Delete</ha-button>`,
      (dialog) => {
        dialog.querySelector("#cancel").addEventListener("click", () => this._hideDialog())
        dialog.querySelector("#save").addEventListener("click", () =>
          this._send(dialog, {
            type: "seam/access_codes/delete",
            entity_id: lock.entity_id,
            access_code_id: code.access_code_id,
          }),
        )
      },
    )
  }

  async _send(dialog, message) {
    this._busy(dialog, true)
    this._dialogError(dialog, null)
    try {
      await this._hass.callWS(message)
    } catch (error) {
      this._busy(dialog, false)
      this._dialogError(dialog, errorMessage(error))
      return
    }
    this._pins.delete(message.access_code_id)
    this._hideDialog()
  }
}

const STYLES = `
  :host { display: block; }
  ha-card { height: 100%; }
  .card-header { margin: 0; padding: 12px 16px 0; font-size: var(--ha-card-header-font-size, 24px);
    font-weight: var(--ha-font-weight-normal, 400); color: var(--ha-card-header-color, var(--primary-text-color));
    line-height: 48px; }
  .card-content { padding: 0 16px 8px; }
  .card-actions { display: flex; justify-content: flex-end; padding: 8px 16px;
    border-top: 1px solid var(--divider-color); }
  .lock { padding: 8px 0; }
  .lock + .lock { border-top: 1px solid var(--divider-color); }
  .lock-head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; padding: 4px 0; }
  .lock-head ha-icon { color: var(--state-icon-color, var(--secondary-text-color)); }
  .lock-name { font-weight: var(--ha-font-weight-medium, 500); color: var(--primary-text-color); flex: 1; }
  .capacity, .offline { font-size: var(--ha-font-size-s, 12px); color: var(--secondary-text-color); }
  .offline { color: var(--warning-color); }
  .code { display: flex; align-items: center; gap: 4px; padding: 6px 0 6px 32px; }
  .code-main { flex: 1 1 0; min-width: 0; }
  .code-name { color: var(--primary-text-color); overflow-wrap: anywhere; }
  .code-window, .code-state { font-size: var(--ha-font-size-s, 12px); color: var(--secondary-text-color); }
  .state-on_lock .code-state { color: var(--success-color, var(--secondary-text-color)); }
  .state-pin_pending .code-state, .state-setting .code-state { color: var(--info-color, var(--secondary-text-color)); }
  .state-failed .code-state { color: var(--error-color); }
  .state-expired .code-name { color: var(--secondary-text-color); }
  .code-actions { display: flex; align-items: center; flex: none; color: var(--secondary-text-color); }
  @media (max-width: 450px) {
    .code { padding-left: 0; }
    .empty, .hint { padding-left: 0; }
    .pin { letter-spacing: 0.04em; }
  }
  .pin { font-family: var(--ha-font-family-code, monospace); font-size: 1.1em; letter-spacing: 0.12em;
    color: var(--primary-text-color); padding: 0 4px; }
  .empty, .hint { color: var(--secondary-text-color); font-size: var(--ha-font-size-s, 13px); padding: 4px 0 4px 32px; }
  ha-dialog .hint { padding-left: 0; }
  ha-dialog ha-input { display: block; margin: 8px 0; }
  .field-label { margin-top: 12px; color: var(--secondary-text-color); font-size: var(--ha-font-size-s, 13px); }
  .locks-choice { display: flex; flex-wrap: wrap; gap: 0 16px; }
  .check-row, .switch-row { display: flex; align-items: center; gap: 8px; min-height: 40px;
    color: var(--primary-text-color); cursor: pointer; }
  .switch-row { margin-top: 8px; }
  .window-fields { display: flex; flex-wrap: wrap; gap: 0 12px; }
  .window-fields ha-input { flex: 1 1 200px; }
  [hidden] { display: none !important; }
  .footer { display: flex; justify-content: flex-end; gap: 8px; }
  .created { padding: 8px 0; }
  .created + .created { border-top: 1px solid var(--divider-color); }
  .created-lock { font-weight: var(--ha-font-weight-medium, 500); color: var(--primary-text-color); }
  .new-pin { display: flex; align-items: center; gap: 4px; }
  .new-pin .pin { font-size: 1.6em; }
  ha-alert { display: block; margin: 8px 0; white-space: pre-line; }
`

if (!customElements.get(CARD_TYPE)) {
  customElements.define(CARD_TYPE, SeamAccessCard)
  window.customCards = window.customCards || []
  window.customCards.push({
    type: CARD_TYPE,
    name: "Seam: Manage access",
    description: "Each Seam lock's access codes, live: add, edit and delete PIN codes.",
    preview: false,
    documentationURL: "https://github.com/ha-seam/ha-seam#manage-access-card",
    getEntitySuggestion: SeamAccessCard.getEntitySuggestion,
  })
}
