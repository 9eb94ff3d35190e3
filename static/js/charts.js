// The summary's charts, drawn only when the reader goes looking for them.
//
// Evaluating plotly.js and drawing three charts costs a phone a few seconds of main thread, so
// nothing of it runs while the page loads and the figures are read: the sentences and tables
// beside each chart are already there. After the load event the bundle is fetched in idle time
// (a prefetch: downloaded, not run; skipped when the phone asks to save data). plotly.js and its
// stylesheet are loaded on the reader's first scroll, tap, key or mouse move, and then each chart
// is drawn when it comes near the screen, one chart per task, so a tap between two charts is
// answered at once.
(function () {
  "use strict";
  var me = document.currentScript;
  var src = me && me.dataset.plotly;
  var css = me && me.dataset.plotlyCss;
  var charts = Array.prototype.slice.call(document.querySelectorAll(".chart[data-figure]"));
  if (!src || !charts.length) return;

  var started = false;
  var loading = false;
  var loaded = false;
  var queue = [];
  var observer = null;

  function config() {
    var el = document.getElementById("chart-config");
    return el ? JSON.parse(el.textContent) : { displayModeBar: false };
  }

  function drawOne(el) {
    var data = document.getElementById(el.dataset.figure);
    if (!data) return;
    var fig = JSON.parse(data.textContent);
    window.Plotly.newPlot(el, fig.data, fig.layout, config());
    el.dataset.drawn = "true";
  }

  // Draw the next waiting chart, then give the main thread back before the one after.
  function drawNext() {
    var el = queue.shift();
    if (!el) return;
    try {
      drawOne(el);
    } finally {
      if (queue.length) setTimeout(drawNext, 0);
    }
  }

  // plotly.css and plotly.js together; the charts are drawn once both are in (or the stylesheet
  // failed: the charts still work without it). Until then the page renders without them.
  function load() {
    if (loading) return;
    loading = true;
    var waiting = css ? 2 : 1;
    function ready() {
      waiting -= 1;
      // In a task of its own, not straight after plotly.js's own long evaluation.
      if (waiting > 0 || !window.Plotly) return;
      loaded = true;
      if (queue.length) setTimeout(drawNext, 0);
    }
    if (css) {
      var sheet = document.createElement("link");
      sheet.rel = "stylesheet";
      sheet.href = css;
      sheet.onload = sheet.onerror = ready;
      document.head.appendChild(sheet);
    }
    // plotly.css is linked as a file; this marker tells plotly.js not to inject a <style>,
    // which the Content-Security-Policy would refuse.
    if (!document.getElementById("plotly.js-style-global")) {
      var marker = document.createElement("meta");
      marker.id = "plotly.js-style-global";
      marker.className = "no-inline-styles";
      document.head.appendChild(marker);
    }
    var s = document.createElement("script");
    s.src = src;
    s.async = true;
    s.onload = ready;
    document.head.appendChild(s);
  }

  function want(el) {
    if (el.dataset.queued) return;
    el.dataset.queued = "true";
    queue.push(el);
    if (observer) observer.unobserve(el);
    if (loaded) {
      if (queue.length === 1) setTimeout(drawNext, 0);
    } else {
      load();
    }
  }

  // Charts near the screen (within half a screen of it) are drawn once the reader has started.
  var near = new Set();
  function watch() {
    if (!("IntersectionObserver" in window)) return;
    observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) near.add(entry.target);
        else near.delete(entry.target);
        if (started && entry.isIntersecting) want(entry.target);
      });
    }, { rootMargin: "50% 0px" });
    charts.forEach(function (el) { observer.observe(el); });
  }

  var EVENTS = ["scroll", "wheel", "touchstart", "pointerdown", "keydown", "mousemove"];
  function start() {
    if (started) return;
    started = true;
    EVENTS.forEach(function (name) { window.removeEventListener(name, start, true); });
    if (observer) charts.filter(function (el) { return near.has(el); }).forEach(want);
    else charts.forEach(want);
  }

  function prefetch() {
    var connection = navigator.connection;
    if (connection && (connection.saveData || /2g/.test(connection.effectiveType || ""))) return;
    [[src, "script"], [css, "style"]].forEach(function (pair) {
      if (!pair[0]) return;
      var link = document.createElement("link");
      link.rel = "prefetch";
      link.href = pair[0];
      link.as = pair[1];
      document.head.appendChild(link);
    });
  }

  function afterLoad() {
    if ("requestIdleCallback" in window) window.requestIdleCallback(prefetch, { timeout: 3000 });
    else setTimeout(prefetch, 500);
  }

  watch();
  EVENTS.forEach(function (name) {
    window.addEventListener(name, start, { capture: true, passive: true });
  });
  if (document.readyState === "complete") afterLoad();
  else window.addEventListener("load", afterLoad);
})();
