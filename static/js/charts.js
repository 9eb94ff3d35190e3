// Draw the summary's charts after the page has painted: the text equivalents are already
// there, so plotly.js loads lazily and never holds up the first paint.
(function () {
  "use strict";
  var me = document.currentScript;
  var src = me && me.dataset.plotly;

  function config() {
    var el = document.getElementById("chart-config");
    return el ? JSON.parse(el.textContent) : { displayModeBar: false };
  }

  function draw() {
    var cfg = config();
    document.querySelectorAll(".chart[data-figure]").forEach(function (el) {
      var data = document.getElementById(el.dataset.figure);
      if (!data) return;
      var fig = JSON.parse(data.textContent);
      window.Plotly.newPlot(el, fig.data, fig.layout, cfg);
    });
  }

  function load() {
    if (window.Plotly) return draw();
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
    s.onload = draw;
    document.head.appendChild(s);
  }

  function whenIdle() {
    if (!document.querySelector(".chart[data-figure]")) return;
    if ("requestIdleCallback" in window) window.requestIdleCallback(load, { timeout: 1500 });
    else setTimeout(load, 200);
  }

  if (document.readyState === "complete") whenIdle();
  else window.addEventListener("load", whenIdle);
})();
