// The offline queue. A moment or a routine tap is stored in IndexedDB first, then sent to the
// JSON API, and leaves the phone only when the server says it has it (201, or 200 for a replay).
// Without this file the forms post as before. Plain ES2018, no framework.
(() => {
  "use strict";

  const TIMEOUT = 15000;  // give up on one request after this; the entry stays queued
  const PATIENCE = 4000;  // a tap waits this long for the server before "saved on this phone"
  const NOTICE = "tend-notice";
  // The page's language (<html lang>) for dates; English as Tend writes it, "5 Dec".
  const LANG = document.documentElement.lang === "en" ? "en-GB" : document.documentElement.lang || "en-GB";
  const tr = (key, values) => (window.tendT ? window.tendT(key, values) : key);  // static/js/i18n.js
  const $ = (sel) => document.querySelector(sel);
  const statusEl = $("#queue-status");
  const data = statusEl ? statusEl.dataset : {};
  const USER = data.user ? Number(data.user) : null;  // null on the offline page: no one known
  const outcomes = {};
  let running = null;
  let again = false;
  let shown = null;  // the latest notice: [text, class]
  let dbp = null;

  // IndexedDB "tend", store "queue", keyed by uuid.
  function db() {
    return dbp || (dbp = new Promise((resolve, reject) => {
      const req = indexedDB.open("tend", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("queue", { keyPath: "uuid" });
      req.onsuccess = () => {
        req.result.onversionchange = () => { req.result.close(); dbp = null; };
        resolve(req.result);
      };
      req.onerror = () => { dbp = null; reject(req.error); };
    }));
  }

  async function tx(mode, work) {
    const t = (await db()).transaction("queue", mode);
    const req = work(t.objectStore("queue"));
    return new Promise((resolve, reject) => {
      t.oncomplete = () => resolve(req && req.result);
      t.onerror = t.onabort = () => reject(t.error);
    });
  }

  const list = async () => (await tx("readonly", (s) => s.getAll())).sort((a, b) => a.created - b.created);
  const remove = (uuid) => tx("readwrite", (s) => { s.delete(uuid); });
  const mine = (r) => r.user == null || r.user === USER;
  const refused = (r) => r.lastError && r.lastError.refused;
  const when = (r) => r.body.occurred_at || r.body.started_at;

  // Change a stored entry, unless it was discarded meanwhile: never bring one back.
  const update = (uuid, change) => tx("readwrite", (s) => {
    const req = s.get(uuid);
    req.onsuccess = () => { if (req.result) s.put(change(req.result)); };
  });

  // An absolute instant with the phone's offset, e.g. 2025-03-04T14:05:00+01:00.
  function iso(d) {
    const off = -d.getTimezoneOffset();
    const p = (n) => String(Math.trunc(Math.abs(n))).padStart(2, "0");
    return new Date(+d + off * 60000).toISOString().slice(0, 19) + (off < 0 ? "-" : "+") + p(off / 60) + ":" + p(off % 60);
  }

  // Times in the household's zone, as the server shows them and cuts days.
  function local(value, opts, lang) {
    const d = new Date(value);
    try { return d.toLocaleString(lang, Object.assign({ timeZone: data.tz }, opts)); } catch (e) { return d.toLocaleString(lang, opts); }
  }
  const hhmm = (v) => local(v, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }, "en-GB");
  const localDay = (v) => local(v, { year: "numeric", month: "2-digit", day: "2-digit" }, "en-CA");  // 2025-03-04
  function labelOf(r) {
    const day = localDay(when(r)) === localDay(Date.now()) ? "" : local(when(r), { day: "numeric", month: "short" }, LANG) + " ";
    return (r.label || tr("queue.an_entry")) + " · " + day + hhmm(when(r));
  }

  const NAMES = { child_id: tr("queue.field_child"), need: tr("queue.field_need"), occurred_at: tr("queue.field_time"), repaired_at: tr("queue.field_reconnected") };
  function reason(json) {
    if (json.error === "uuid_conflict") return tr("queue.clash");
    const fields = json.fields || {};
    const out = Object.keys(fields).map((k) => (NAMES[k] || k.replace(/_/g, " ")) + ": " + [].concat(fields[k]).join(" "));
    return out.join(" ") || tr("queue.refused", { error: String(json.error || "error").replace(/_/g, " ") });
  }

  // Send one entry; return whether to carry on with the next one.
  async function send(rec) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TIMEOUT);
    let status = 0;
    let json = null;
    try {
      const res = await fetch("/api/v1/" + rec.kind + "s", {
        method: "POST", credentials: "same-origin", redirect: "manual", cache: "no-store", signal: ctl.signal,
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(rec.body),
      });
      status = res.status;
      json = await res.json().catch(() => null);
    } catch (e) { /* no network, or timed out: status 0 */ }
    clearTimeout(timer);
    // A 200 that isn't our JSON (a login page, a Wi-Fi portal) is no acknowledgement.
    if ((status === 200 || status === 201) && json && !json.error) {
      outcomes[rec.uuid] = { ok: true, json };
      await remove(rec.uuid);
      return true;
    }
    const err = { status, error: (json && json.error) || (status ? "http_" + status : "network") };
    if (status === 401) err.login = true;
    // The server looked at it and said no: sending it again unchanged won't help.
    else if (json && status >= 400 && status < 500 && ![408, 425, 429].includes(status)) {
      err.refused = true;
      err.message = reason(json);
    }
    outcomes[rec.uuid] = { error: err };
    await update(rec.uuid, (r) => Object.assign(r, { attempts: (r.attempts || 0) + 1, lastError: err }));
    return !!err.refused;
  }

  // Send this person's waiting entries, oldest first, one pass at a time across tabs; stop at
  // the first that can't go. `only` (a uuid) retries that one, even if it was refused.
  function flush(only) {
    if (USER == null) return Promise.resolve();
    if (running) {
      if (only) return running.then(() => flush(only));
      again = true;
      return running;
    }
    const pass = async (one) => {
      again = false;
      for (const r of await list()) {
        if (mine(r) && (one ? r.uuid === one : !refused(r)) && !(await send(r))) break;
      }
      if (again) await pass();
    };
    const work = navigator.locks ? navigator.locks.request("tend-queue", () => pass(only)) : pass(only);
    running = work.catch(() => {}).then(() => { running = null; return render(); });
    return running;
  }

  function el(tag, attrs, text, parent) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach((k) => e.setAttribute(k, attrs[k]));
    if (text != null) e.textContent = text;
    return parent ? parent.appendChild(e) : e;
  }

  const notice = (text, cls) => { shown = [text, cls || "success"]; };

  async function render() {
    const all = await list().catch(() => []);
    const recs = USER == null ? all : all.filter(mine);
    const waiting = recs.filter((r) => !refused(r));
    const form = $("form[data-queue=moment]");
    const editing = form && form.dataset.replaces;  // already on screen, in the form
    if (statusEl) {
      const box = statusEl;
      box.textContent = "";
      if (shown) el("p", { class: "flash " + shown[1] }, shown[0], box);
      if (waiting.some((r) => r.lastError && r.lastError.login)) {
        el("p", { class: "flash error", "data-queue-login": "" }, tr("queue.login_again"), box);
        el("a", { class: "button", href: "/login?next=" + encodeURIComponent(location.pathname + location.search) },
          tr("queue.log_in"), el("div", { class: "actions" }, null, box));
      } else if (waiting.length) {
        el("p", { class: "flash", "data-queue-waiting": waiting.length }, tr("queue.waiting", { count: waiting.length }), box);
        if (USER != null) {
          el("button", { type: "button", class: "secondary", "data-queue-send": "" }, tr("queue.send_now", { count: waiting.length }),
            el("div", { class: "actions" }, null, box));
        }
      }
      recs.filter((r) => refused(r) && r.uuid !== editing).forEach((r) => {
        const card = el("div", { class: "card", "data-queue-refused": r.uuid }, null, box);
        el("p", null, tr("queue.not_accepted", { entry: labelOf(r), reason: r.lastError.message }), card);
        const actions = el("div", { class: "actions" }, null, card);
        if (r.kind === "moment") {
          el("a", { class: "button", "data-queue-fix": r.uuid, href: "/moments/new?child=" + r.body.child_id + "&fix=" + r.uuid }, tr("queue.fix_it"), actions);
        }
        el("button", { type: "button", class: "secondary", "data-queue-retry": r.uuid }, tr("queue.try_again"), actions);
        el("button", { type: "button", class: "quiet", "data-queue-discard": r.uuid }, tr("queue.discard"), actions);
      });
      box.hidden = !box.firstChild;
    }
    // The day view: this child's entries for this day that haven't reached the server.
    const day = $("[data-queue-day]");
    if (day) {
      const ul = day.querySelector("ul");
      ul.textContent = "";
      recs.filter((r) => String(r.body.child_id) === day.dataset.child && localDay(when(r)) === day.dataset.day).forEach((r) => {
        const a = el("a", { class: "entry", href: "#queue-status", "data-queued": r.uuid }, null, el("li", null, null, ul));
        el("span", { class: "time" }, hhmm(when(r)), a);
        el("span", { class: "tag" }, refused(r) ? tr("queue.not_sent") : tr("queue.waiting_to_send"), el("span", null, r.label + " ", a));
      });
      day.hidden = !ul.firstChild;
      const empty = $("[data-day-empty]");
      if (empty) empty.hidden = !day.hidden;
    }
  }

  function focusStatus() {
    if (!statusEl || statusEl.hidden) return;
    statusEl.tabIndex = -1;
    statusEl.scrollIntoView({ block: "nearest" });
    statusEl.focus({ preventScroll: true });
  }

  const record = (kind, body, label) =>
    ({ uuid: body.uuid, kind, body, created: Date.now(), attempts: 0, lastError: null, user: USER, label });

  // Store first (replacing the entry being fixed), then send, and answer the tap within
  // PATIENCE whatever the network does. Once stored, the form never posts it too: that would
  // log it twice.
  async function submitEntry(form, rec, done) {
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await tx("readwrite", (s) => {
        if (form.dataset.replaces) s.delete(form.dataset.replaces);
        s.put(rec);
      });
    } catch (e) {
      form.submit();  // no IndexedDB here: post the form the ordinary way
      return;
    }
    delete form.dataset.replaces;
    try {
      const sent = flush();
      const quick = await Promise.race([sent.then(() => true), new Promise((r) => setTimeout(r, PATIENCE))]);
      if (!quick) sent.then(() => { if ((outcomes[rec.uuid] || {}).ok) { notice(rec.label + " sent."); render(); } });
      await done((quick && outcomes[rec.uuid]) || {});
    } catch (e) {
      render();
    }
    buttons.forEach((b) => { b.disabled = false; });
  }

  // Incomplete forms go to the server as before, which explains what's missing.
  function complete(form) {
    const fd = new FormData(form);
    return !!(fd.get("need") && fd.get("child_id")) && (fd.get("when") !== "at" || !isNaN(new Date(fd.get("at"))));
  }

  function momentBody(form) {
    const fd = new FormData(form);
    const text = (n) => String(fd.get(n) || "").trim();
    const now = new Date();
    const w = text("when") || "0";
    const rupture = fd.has("rupture");
    const repaired = rupture && text("repaired") === "yes";
    const repairedAt = repaired && (text("repaired_at") ? new Date(text("repaired_at")) : now);
    return {
      uuid: crypto.randomUUID(), child_id: Number(text("child_id")), need: text("need"),
      occurred_at: iso(w === "at" ? new Date(text("at")) : new Date(now - 60000 * Number(w))),
      responses: fd.getAll("responses"), cues: fd.getAll("cues"), cue_text: text("cue_text"),
      miscue: fd.has("miscue"), intensity: text("intensity") ? Number(text("intensity")) : null,
      how_soon: text("how_soon") || null, feelings: fd.getAll("feelings"), rupture,
      repaired_at: repairedAt ? iso(repairedAt) : null, repair_ways: repaired ? fd.getAll("repair_ways") : [],
      repair_note: repaired ? text("repair_note") : "", note: text("note"),
    };
  }

  function onMoment(form) {
    const body = momentBody(form);
    const need = form.querySelector("label[for='need-" + body.need + "']");
    const rec = record("moment", body, need ? need.textContent.trim() : body.need);
    return submitEntry(form, rec, (out) => {
      if (out.ok) {
        // As the form does: the reflective prompt if there is one (that page says "Saved."),
        // else the server sends us home, where the stored notice says it.
        sessionStorage.setItem(NOTICE, tr("queue.saved"));
        location.assign(out.json.id ? "/moments/" + out.json.id + "/prompt" : "/?child=" + body.child_id);
        return;
      }
      if (out.error && out.error.refused) {
        // The form still holds everything: saving again replaces the queued copy.
        form.dataset.replaces = rec.uuid;
        notice(tr("queue.not_saved_yet", { reason: out.error.message }), "error");
      } else {
        form.reset();
        form.dispatchEvent(new Event("change", { bubbles: true }));
        notice(tr("queue.saved_here", { entry: rec.label }));
      }
      return render().then(focusStatus);
    });
  }

  function onRoutine(form) {
    const fd = new FormData(form);
    const body = { uuid: crypto.randomUUID(), child_id: Number(fd.get("child_id")), kind_id: Number(fd.get("kind_id")), started_at: iso(new Date()) };
    const rec = record("routine", body, form.dataset.label || form.textContent.trim());
    const at = hhmm(body.started_at);
    return submitEntry(form, rec, (out) => {
      if (out.ok) notice(tr("queue.logged_at", { entry: rec.label, time: at }));
      else if (out.error && out.error.refused) notice(tr("queue.not_logged", { entry: rec.label }), "error");
      else notice(tr("queue.saved_here_at", { entry: rec.label, time: at }));
      return render();  // no focus or scroll: the next tap must land where the finger expects
    });
  }

  // "Fix it": the moment form, filled from a refused entry; saving replaces that entry.
  async function fillFix(form) {
    const uuid = new URLSearchParams(location.search).get("fix");
    const rec = uuid && await tx("readonly", (s) => s.get(uuid));
    if (!rec || rec.kind !== "moment") return;
    const b = rec.body;
    const input = (v) => (v ? iso(new Date(v)).slice(0, 16) : "");  // datetime-local, phone time
    const values = { when: ["at"], at: [input(b.occurred_at)], repaired_at: [input(b.repaired_at)],
      repaired: [b.repaired_at ? "yes" : b.rupture ? "not_yet" : ""] };
    Object.keys(b).forEach((k) => {
      const v = b[k];
      if (!values[k]) values[k] = Array.isArray(v) ? v : v === true ? ["y"] : [v == null || v === false ? "" : String(v)];
    });
    Array.from(form.elements).forEach((f) => {
      const v = values[f.name];
      if (!v) return;
      if (f.type === "checkbox" || f.type === "radio") f.checked = v.includes(f.value);
      else f.value = v[0];
    });
    form.dataset.replaces = uuid;
    form.dispatchEvent(new Event("change", { bubbles: true }));
    notice(tr("queue.fix_this", { reason: rec.lastError ? rec.lastError.message : "" }), "error");
    render();
  }

  // Logging out deletes what's on this phone: warn first if some of it never reached the server.
  async function onLogout(form) {
    const n = (await list().catch(() => [])).length;
    if (n && !confirm(tr(n === 1 ? "queue.logout_one" : "queue.logout_other", { count: n }))) return;
    await Promise.all([
      tx("readwrite", (s) => { s.clear(); }),
      window.caches && caches.keys().then((keys) => Promise.all(keys.map((k) => caches.delete(k)))),
    ]).catch(() => {});
    form.submit();
  }

  document.addEventListener("submit", (e) => {
    const form = e.target;
    const kind = form.dataset.queue;
    const logout = form.hasAttribute("data-logout") || form.getAttribute("action") === "/logout";
    if (!logout && !(kind === "routine" || (kind === "moment" && complete(form)))) return;
    e.preventDefault();
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    // A failure before the entry was stored lands here, and the form can still post it.
    new Promise((resolve) => resolve(logout ? onLogout(form) : kind === "moment" ? onMoment(form) : onRoutine(form)))
      .catch(() => form.submit())
      .then(() => { delete form.dataset.busy; });
  });

  document.addEventListener("click", (e) => {
    const t = e.target.closest("[data-queue-send], [data-queue-retry], [data-queue-discard], [data-offline-save]");
    const d = t ? t.dataset : {};
    if (d.queueSend != null) {
      t.disabled = true;
      t.textContent = tr("queue.sending");
      flush();
    } else if (d.queueRetry) {
      flush(d.queueRetry);
    } else if (d.queueDiscard && confirm(tr("queue.discard_confirm"))) {
      remove(d.queueDiscard).then(render);
    } else if (d.offlineSave != null) {
      saveFromOffline(t);
    }
  });

  // The offline page stands in for a page that didn't load. Opened from a need on the home page
  // (/moments/new?child=…&need=…), it offers to keep that much: child, need, now.
  let offlineNeed = null;
  function offlinePage() {
    if (!$("[data-offline-page]")) return;
    window.addEventListener("online", () => location.reload());
    const q = new URLSearchParams(location.search);
    const label = $("[data-need-labels] [data-need='" + q.get("need") + "']");
    const box = $("[data-offline-moment]");
    if (location.pathname !== "/moments/new" || !label || !(q.get("child") > 0)) return;
    offlineNeed = { child: Number(q.get("child")), need: q.get("need"), label: label.textContent, at: new Date() };
    box.querySelector("[data-offline-need]").textContent = offlineNeed.label;
    box.querySelector("[data-offline-time]").textContent = hhmm(offlineNeed.at);
    box.hidden = false;
  }

  async function saveFromOffline(button) {
    const m = offlineNeed;
    // The API fills in what's left out, as the form does for fields left blank.
    const body = { uuid: crypto.randomUUID(), child_id: m.child, occurred_at: iso(m.at), need: m.need };
    button.disabled = true;
    await tx("readwrite", (s) => { s.put(record("moment", body, m.label)); });
    button.closest("[data-offline-moment]").hidden = true;
    notice(tr("queue.saved_here", { entry: m.label }));
    await render();
    focusStatus();
  }

  if (!window.indexedDB) return;
  // Home keeps its notices below the routine buttons, so a notice never pushes a button from
  // under a finger that is about to tap it.
  const slot = $("[data-queue-slot]");
  if (slot && statusEl) slot.appendChild(statusEl);
  // A notice carried over a navigation shows where the server's flashed messages do.
  const stored = sessionStorage.getItem(NOTICE);
  sessionStorage.removeItem(NOTICE);
  if (stored && !$(".flash.success") && $("main")) $("main").prepend(el("p", { class: "flash success", role: "status" }, stored));
  const momentForm = $("form[data-queue=moment]");
  if (momentForm) fillFix(momentForm).catch(() => {});
  offlinePage();
  render();
  flush();
  window.addEventListener("online", () => flush());
  window.addEventListener("pageshow", (e) => { if (e.persisted) flush(); });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") flush(); });
  if ("serviceWorker" in navigator && USER != null) {
    window.addEventListener("load", () => navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {}));
  }
})();
