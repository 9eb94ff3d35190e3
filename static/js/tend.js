// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Sign-up: fill the time zone from the phone.
  function fillTimezone() {
    var field = document.querySelector("input[name=timezone][data-from-browser], #timezone");
    if (!field || field.dataset.touched) return;
    try {
      var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (tz && (field.value === "" || field.value === "UTC") && document.querySelector("form #email")) {
        field.value = tz;
      }
    } catch (e) { /* keep the server's default */ }
  }

  // Moment form: show the time picker only for "Another time", repair details only after a rupture.
  function toggles() {
    var at = document.querySelector("[data-shows-when=at]");
    var form = document.getElementById("moment-form");
    if (!form) return;
    var repair = form.querySelector("[data-shows-if=rupture]");
    var rupture = form.querySelector("#rupture");
    function update() {
      var when = form.querySelector("input[name=when]:checked");
      if (at) at.hidden = !(when && when.value === "at") && !at.classList.contains("has-error");
      if (repair && rupture) repair.hidden = !rupture.checked;
    }
    form.addEventListener("change", update);
    update();
  }

  // Special time: count down to the end stored on the server, so a locked screen loses nothing.
  function timer() {
    var el = document.getElementById("timer");
    if (!el) return;
    var ends = Date.parse(el.dataset.endsAt);
    var note = document.getElementById("timer-note");
    function tick() {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left === 0) {
        var tr = window.tendT || function (key) { return key; };  // static/js/i18n.js
        el.textContent = tr("timer.done_short");
        if (note) note.textContent = tr("timer.done");
        if (navigator.vibrate) navigator.vibrate(200);
        return;
      }
      setTimeout(tick, 500);
    }
    if (!isNaN(ends)) tick();
    document.addEventListener("visibilitychange", function () { if (!document.hidden && !isNaN(ends)) tick(); });
  }

  // A "Print" button (session prep): the browser's own print dialog.
  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fillTimezone();
    toggles();
    timer();
    printButtons();
  });
})();
