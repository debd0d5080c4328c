// Sorting and filtering for the dashboard; without it the page shows everything, unsorted.
// The page's Content-Security-Policy allows this script by its hash: it runs inline, loads nothing.
(function () {
  "use strict";
  var all = function (selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); };
  var state = { person: "", status: "", text: "" };
  var personSelect = document.getElementById("person-filter");
  var search = document.getElementById("unit-search");

  function matches(el) {
    if (state.person && el.getAttribute("data-people").split("|").indexOf(state.person) < 0) return false;
    if (!el.hasAttribute("data-unit")) return true;
    if (state.status && el.getAttribute("data-unit") !== state.status) return false;
    return !state.text || el.textContent.toLowerCase().indexOf(state.text) >= 0;
  }

  function apply() {
    all("[data-people]").forEach(function (el) { el.hidden = !matches(el); });
    all("[data-group]").forEach(function (group) {
      var shown = all("li:not([hidden])", group).length;
      group.hidden = shown === 0;
      group.querySelector("[data-count]").textContent = shown;
    });
    var units = all("#unit-table tbody tr:not([hidden])").length;
    document.getElementById("units-shown").textContent = units;
    document.querySelector(".no-match").hidden = units > 0;
    all(".seg-buttons button").forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-status") === state.status)); });
    // The chosen person stays in the address, so an owner can bookmark their own view.
    if (state.person) history.replaceState(null, "", "#owner=" + encodeURIComponent(state.person));
    else if (location.hash.indexOf("#owner=") === 0) history.replaceState(null, "", location.pathname + location.search);
  }

  function sortBy(table, th, numeric) {
    var column = th.cellIndex;
    var direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    all("th[aria-sort]", table).forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
    var key = function (row) {
      var cell = row.cells[column];
      var value = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
      return numeric ? parseFloat(value.replace(/,/g, "")) || 0 : value;
    };
    var body = table.tBodies[0];
    var rows = all("tr", body).map(function (row, i) { return { row: row, key: key(row), i: i }; });
    rows.sort(function (a, b) {
      var c = numeric ? a.key - b.key : a.key.localeCompare(b.key, "zh-CN");
      return c * direction || a.i - b.i;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }

  all("table.sortable").forEach(function (table) {
    all("thead th button", table).forEach(function (button) {
      button.addEventListener("click", function () { sortBy(table, button.parentNode, button.hasAttribute("data-num")); });
    });
  });
  all(".seg-buttons button").forEach(function (button) {
    button.addEventListener("click", function () { state.status = button.getAttribute("data-status"); apply(); });
  });
  search.addEventListener("input", function () { state.text = search.value.trim().toLowerCase(); apply(); });
  personSelect.addEventListener("change", function () { state.person = personSelect.value; apply(); });

  var wanted = location.hash.indexOf("#owner=") === 0 ? decodeURIComponent(location.hash.slice(7)) : "";
  if (wanted && all("option", personSelect).some(function (o) { return o.value === wanted; })) {
    personSelect.value = state.person = wanted;
  }
  all(".person-filter, .filters").forEach(function (el) { el.hidden = false; });
  apply();
})();
