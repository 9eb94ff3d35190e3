"""Reminders in the browser: the page's JS subscribes under the CSP, and the service worker
shows a push and opens its page when tapped.

Chromium here has no route to a real push service, so the page's PushManager is replaced by
one that returns a subscription as a browser would; the server side is tested against a fake
push service in tests/test_send_due.py.
"""

import json

from conftest import poll, sign_up
from playwright.sync_api import expect

P256DH = ("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIA"
          "iw4")
AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
FAKE_PUSH_MANAGER = """
(() => {
  const keys = KEYS;
  const saved = sessionStorage.getItem("fake-endpoint");
  const make = (options, endpoint) => ({
    endpoint: endpoint || "https://push.example.net/e2e/" + Math.random().toString(36).slice(2),
    options,
    toJSON() { return { endpoint: this.endpoint, keys }; },
    unsubscribe: async () => {
      current = null;
      sessionStorage.removeItem("fake-endpoint");
      return true;
    },
  });
  let current = saved ? make({ applicationServerKey: null }, saved) : null;
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribedWith = options;
    current = make(options);
    sessionStorage.setItem("fake-endpoint", current.endpoint);
    return current;
  };
})();
""".replace("KEYS", json.dumps({"p256dh": P256DH, "auth": AUTH}))


def test_turning_reminders_on_for_this_phone(new_context, live):
    ctx = new_context(service_workers="allow", permissions=["notifications"])
    ctx.add_init_script(FAKE_PUSH_MANAGER)
    page = ctx.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text
            else None)
    sign_up(page)
    page.goto("/household")
    page.click("main a:has-text('Reminders and calendar')")
    expect(page.locator("main h1")).to_have_text("Reminders")
    expect(page.locator("main")).to_contain_text("only arrive in the installed app")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.click("[data-push-subscribe]")
    expect(page.locator(".flashes")).to_contain_text("Reminders are on for this device.")
    expect(page.locator("ul[aria-label='Devices that get reminders'] li")).to_have_count(1)
    expect(page.locator("[data-this-device]")).to_be_visible()
    expect(page.locator("[data-push-status]")).to_have_text(
        "This device gets reminders. Choose which ones below.")
    rows = live.query("SELECT endpoint, p256dh, auth FROM push_subscription")
    assert [(e.startswith("https://push.example.net/e2e/"), p, a) for e, p, a in rows] == [
        (True, P256DH, AUTH)]
    # The server's key went to the browser, and only the static script ran: nothing refused.
    assert refused == []

    # The time input can't hold 25:00; a time in the quiet hours gets the server's message.
    page.fill("#special_time_at", "22:00")
    page.check("#special_time")
    page.click("main form button:has-text('Save reminders')")
    expect(page.locator("main")).to_contain_text("Reminders stay quiet from 21:00 to 07:00")
    expect(page.locator("#special_time_at")).to_have_value("22:00")
    assert live.query("SELECT count(*) FROM reminder_settings") == [(0,)]


def test_the_service_worker_shows_a_reminder_and_opens_its_page(new_context, live):
    ctx = new_context(service_workers="allow", permissions=["notifications"])
    page = ctx.new_page()
    sign_up(page)
    page.goto("/reminders")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = ctx.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    registration = poll(page, lambda: registrations and registrations[0]["registrationId"],
                        what="the service worker registration")
    message = {"title": "Special time", "body": "Five minutes of play led by your child.",
               "url": "/special-time", "tag": "tend-special_time"}
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live.url, "registrationId": registration, "data": json.dumps(message)})
    shown = poll(page, lambda: page.evaluate(
        """navigator.serviceWorker.ready.then((r) => r.getNotifications())
             .then((list) => list.map((n) => ({title: n.title, body: n.body, tag: n.tag,
                                                data: n.data})))"""),
        what="the notification")
    assert shown == [{"title": "Special time", "body": message["body"],
                      "tag": "tend-special_time", "data": {"path": "/special-time"}}]
    # A push naming another site opens Tend's home instead.
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live.url, "registrationId": registration,
        "data": json.dumps({"title": "x", "url": "//evil.example/", "tag": "other"})})
    other = poll(page, lambda: page.evaluate(
        """navigator.serviceWorker.ready.then((r) => r.getNotifications({tag: "other"}))
             .then((list) => list.map((n) => n.data))"""), what="the second notification")
    assert other == [{"path": "/"}]


def test_the_reminders_script_speaks_spanish(new_context, live):
    ctx = new_context(service_workers="allow", permissions=["notifications"])
    ctx.add_init_script(FAKE_PUSH_MANAGER)
    page = ctx.new_page()
    sign_up(page)
    page.goto("/account")
    page.select_option("#language", "es")
    page.click("form[action$='/account/language'] button[type=submit]")
    page.goto("/reminders")
    expect(page.locator("main h1")).to_have_text("Recordatorios")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    page.click("[data-push-subscribe]")

    expect(page.locator(".flashes")).to_contain_text(
        "Los recordatorios están activados en este dispositivo.")
    expect(page.locator("[data-push-status]")).to_have_text(
        "Este dispositivo recibe recordatorios. Elige cuáles quieres aquí abajo.")
    expect(page.locator("[data-push-subscribe]")).to_have_text(
        "Volver a configurar este dispositivo")
    expect(page.locator("[data-this-device]")).to_have_text("este dispositivo")
