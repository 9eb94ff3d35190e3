// Tend's service worker, served at /sw.js (the route fills in the version and the static files).
// It keeps static files and the offline page, and nothing else: pages with family data, share
// pages and the API always go to the network and are never stored. It does not queue or replay
// entries; the page does that (static/js/queue.js). It shows reminders (Web Push, sent by
// `flask reminders send-due`) and opens the page a reminder is about when it is tapped.
"use strict";

const VERSION = "__TEND_VERSION__";
const PRECACHE = ["__TEND_PRECACHE__"];
const PREFIX = "tend-static-";
const CACHE = PREFIX + VERSION;
const OFFLINE_URL = "/offline";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // The offline page is fetched without cookies, so it can never be rendered for someone.
    await cache.addAll([...PRECACHE, new Request(OFFLINE_URL, { credentials: "omit" })]);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/s" || url.pathname.startsWith("/s/")) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request));
  }
});

// No navigation preload: a page the worker leaves alone (a share page) would be fetched twice.
async function navigate(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const offline = await caches.match(OFFLINE_URL, { cacheName: CACHE });
    return offline || Response.error();
  }
}

async function staticFile(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

// A reminder: {title, body, url, tag}. Only a path on this site is ever opened.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (err) {
    data = {};
  }
  const path = typeof data.url === "string" && data.url.startsWith("/") && !data.url.startsWith("//") ? data.url : "/";
  const icon = PRECACHE.find((url) => url.includes("icon-192"));
  event.waitUntil(self.registration.showNotification(data.title || "Tend", {
    body: data.body || "",
    tag: data.tag || "tend",
    icon,
    badge: icon,
    data: { path },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.path) || "/";
  const target = new URL(path, self.location.origin).href;
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const same = open.find((client) => client.url === target);
    if (same) return same.focus();
    const any = open.find((client) => "navigate" in client);
    if (any) {
      try {
        const navigated = await any.navigate(target);
        if (navigated) return navigated.focus();
      } catch (err) {
        // A window this worker doesn't control can't be navigated: open a new one.
      }
    }
    return self.clients.openWindow(target);
  })());
});
