// AI Orchestrator dashboard: the only script, loaded from this origin (the CSP allows no
// inline script). It does two things:
// 1. Live regions: an element with data-live-events (a Server-Sent Events URL) has its
//    content replaced by each "update" event's HTML, which the server rendered and
//    sanitised; without EventSource it polls data-live-fragment instead.
// 2. Forms with data-confirm ask before they post (abort, skip).
(function () {
  "use strict";

  function stamp(region, text) {
    var status = document.querySelector("[data-live-status]");
    if (status) { status.textContent = text; }
    region.setAttribute("data-live-updated", String(Date.now()));
  }

  function replace(region, html) {
    region.innerHTML = html;
    stamp(region, "Updated " + new Date().toLocaleTimeString());
    document.dispatchEvent(new CustomEvent("dashboard:updated"));
  }

  function poll(region) {
    var url = region.getAttribute("data-live-fragment");
    var seconds = Number(region.getAttribute("data-live-poll") || "5");
    var last = "";
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) { if (html !== last) { last = html; replace(region, html); } })
        .catch(function () { stamp(region, "Live updates paused: the server did not answer"); })
        .then(function () { window.setTimeout(tick, seconds * 1000); });
    }
    window.setTimeout(tick, seconds * 1000);
  }

  function listen(region) {
    if (!window.EventSource) { poll(region); return; }
    var source = new EventSource(region.getAttribute("data-live-events"));
    source.addEventListener("update", function (event) { replace(region, event.data); });
    source.addEventListener("open", function () { stamp(region, "Live"); });
    source.addEventListener("error", function () { stamp(region, "Reconnecting…"); });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  function confirmForms() {
    document.addEventListener("submit", function (event) {
      var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { event.preventDefault(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var regions = document.querySelectorAll("[data-live-events]");
    for (var i = 0; i < regions.length; i += 1) { listen(regions[i]); }
    confirmForms();
  });
})();
