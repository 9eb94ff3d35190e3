// The scripts' strings in the page's language: a JSON catalogue the server puts in
// <script type="application/json" id="tend-i18n"> (parenting/i18n.py JS_STRINGS).
(function () {
  "use strict";
  var strings = {};
  try {
    strings = JSON.parse(document.getElementById("tend-i18n").textContent) || {};
  } catch (e) { /* no catalogue: the keys show, which a test would have caught */ }
  // tendT(key) returns the string; tendT(key, {count: 3}) also fills its %(count)s.
  window.tendT = function (key, values) {
    var text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  };
})();
