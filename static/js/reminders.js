// The Reminders page: turn on Web Push for this device. The page works without it (the list of
// devices and the choices are plain forms); this only fills the subscription form and sends it.
(function () {
  "use strict";

  const box = document.querySelector("[data-push]");
  if (!box) return;
  const status = box.querySelector("[data-push-status]");
  const form = box.querySelector("[data-push-form]");
  const button = box.querySelector("[data-push-subscribe]");
  const tr = (key, values) => window.tendT(key, values);
  const say = (text) => { status.textContent = text; };

  if (!("serviceWorker" in navigator && "PushManager" in window && "Notification" in window)) {
    say(tr("reminders.unsupported"));
    return;
  }
  if (Notification.permission === "denied") {
    say(tr("reminders.blocked"));
    return;
  }
  form.hidden = false;

  function keyBytes(base64url) {
    const base64 = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }

  function sameKey(buffer, bytes) {
    if (!buffer) return false;
    const have = new Uint8Array(buffer);
    return have.length === bytes.length && have.every((b, i) => b === bytes[i]);
  }

  const serverKey = keyBytes(box.dataset.vapidKey);

  async function sha256Hex(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Mark this device in the list when the server knows its subscription (it keeps the
  // endpoint's SHA-256); a subscription the server forgot (expired) is offered again.
  navigator.serviceWorker.ready
    .then((registration) => registration.pushManager.getSubscription())
    .then(async (existing) => {
      if (!existing || Notification.permission !== "granted") return;
      const hash = await sha256Hex(existing.endpoint);
      const row = document.querySelector(`[data-endpoint-hash="${hash}"]`);
      if (!row) return;
      row.querySelector("[data-this-device]").hidden = false;
      say(tr("reminders.this_device"));
      button.textContent = tr("reminders.set_up_again");
    })
    .catch(() => {});

  form.addEventListener("submit", async (event) => {
    if (form.dataset.filled) return;
    event.preventDefault();
    button.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        say(tr("reminders.need_permission"));
        return;
      }
      const registration = await navigator.serviceWorker.ready;
      let subscription = await registration.pushManager.getSubscription();
      // A subscription made for another server key (a new server, say) can't be used.
      if (subscription && !sameKey(subscription.options.applicationServerKey, serverKey)) {
        await subscription.unsubscribe();
        subscription = null;
      }
      if (!subscription) {
        subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: serverKey,
        });
      }
      const json = subscription.toJSON();
      form.elements.endpoint.value = json.endpoint;
      form.elements.p256dh.value = json.keys.p256dh;
      form.elements.auth.value = json.keys.auth;
      form.dataset.filled = "1";
      form.submit();
    } catch (err) {
      say(tr("reminders.failed", { error: err.name }));
    } finally {
      button.disabled = false;
    }
  });
})();
