/* reportgen serve: reload this page when a new build is in place; show build errors over it. */
(function () {
  "use strict";
  var script = document.currentScript;
  var channel = script.dataset.channel;
  var loaded = script.dataset.version;
  var dismissed = "";
  var shownKey = null;

  function showOverlay(html, key) {
    if (key === shownKey) return;
    shownKey = key;
    var old = document.getElementById("reportgen-overlay");
    if (old) old.remove();
    if (!html || key === dismissed) return;
    var holder = document.createElement("div");
    holder.innerHTML = html;  // made and escaped by the server
    document.body.appendChild(holder.firstElementChild);
  }

  function showBuilding(building, text) {
    var badge = document.getElementById("reportgen-building");
    if (!building) { if (badge) badge.remove(); return; }
    if (badge) return;
    badge = document.createElement("div");
    badge.id = "reportgen-building";
    badge.setAttribute("role", "status");
    badge.textContent = text;
    document.body.appendChild(badge);
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("#reportgen-overlay .reportgen-close")) return;
    dismissed = shownKey || "";
    var overlay = document.getElementById("reportgen-overlay");
    if (overlay) overlay.remove();
  });

  var events = new EventSource("/__reportgen__/events");
  events.addEventListener("state", function (event) {
    var state = JSON.parse(event.data);
    var now = state[channel] ? state[channel].version : "";
    if (now && now !== loaded) {
      events.close();
      window.location.reload();
      return;
    }
    showOverlay(state.overlay, state.overlay_key);
    showBuilding(state.site.building, state.building_label);
  });
})();
