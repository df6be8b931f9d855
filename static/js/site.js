/* Every page: forms that submit on change, and data tables that sort, search and filter.
 *
 * Plain JS, no library, no inline handlers (the pages run under a Content Security Policy).
 * Tables declare what they can do with data attributes; without this script they are plain,
 * complete tables and the filter forms have a submit button.
 *
 *   <table data-sortable>            th[data-sort-key][data-sort-type=num] sorts the cells
 *                                    [data-col=<key>] of each row by their data-value
 *   <input data-table-search=ID>     shows the rows of #ID whose data-search (or text) matches
 *   <select data-column-filter=ID>   shows only the columns whose data-group is the value
 *   <input type=checkbox data-row-filter=ID value=F>  shows only rows with F in data-flags
 *   <select data-autosubmit>         submits its form when changed (also data-submit-on-change)
 */
(function () {
  "use strict";

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  // data-submit-on-change is the language switch's name for the same thing.
  each("[data-autosubmit], select[data-submit-on-change]", function (control) {
    control.addEventListener("change", function () {
      if (control.form) control.form.submit();
    });
  });

  /* --- sorting ------------------------------------------------------------------------------ */

  function cellValue(row, key, numeric) {
    var cell = row.querySelector('[data-col="' + key + '"]');
    if (!cell) return numeric ? -Infinity : "";
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    if (!numeric) return raw.toLowerCase();
    var n = parseFloat(raw);
    return isNaN(n) ? -Infinity : n;
  }

  function setupSort(table) {
    var body = table.tBodies[0];
    if (!body) return;
    each("th[data-sort-key]", function (th) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      if (th.querySelector("a")) {
        // A header that links somewhere (the item's page) keeps its link and gets an arrow.
        button.setAttribute("aria-label", table.getAttribute("data-sort-label") || "Sort");
      } else {
        while (th.firstChild) button.appendChild(th.firstChild);
      }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var key = th.getAttribute("data-sort-key");
        var numeric = th.getAttribute("data-sort-type") === "num";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        if (numeric && !th.hasAttribute("aria-sort")) ascending = false; // numbers: highest first
        each("th[aria-sort]", function (other) { other.removeAttribute("aria-sort"); }, table);
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (row, index) { row._order = index; });
        rows.sort(function (a, b) {
          var x = cellValue(a, key, numeric), y = cellValue(b, key, numeric);
          if (x < y) return ascending ? -1 : 1;
          if (x > y) return ascending ? 1 : -1;
          return a._order - b._order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    }, table);
  }
  each("table[data-sortable]", setupSort);

  /* --- searching and filtering ------------------------------------------------------------------ */

  var state = {};

  function refresh(id) {
    var table = document.getElementById(id);
    if (!table || !table.tBodies[0]) return;
    var s = state[id] || {};
    var needle = (s.search || "").trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      if (row.hasAttribute("data-empty")) return;
      var text = (row.getAttribute("data-search") || row.textContent).toLowerCase();
      var flags = " " + (row.getAttribute("data-flags") || "") + " ";
      var ok = !needle || text.indexOf(needle) !== -1;
      (s.flags || []).forEach(function (flag) { if (flags.indexOf(" " + flag + " ") === -1) ok = false; });
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    var group = s.group || "";
    each("[data-group]", function (cell) {
      cell.classList.toggle("col-hidden", !!group && cell.getAttribute("data-group") !== group);
    }, table);
    each('[data-table-count="' + id + '"]', function (counter) {
      if (!counter.hasAttribute("data-total")) counter.setAttribute("data-total", counter.textContent);
      var total = table.tBodies[0].rows.length;
      counter.textContent = shown === total ? counter.getAttribute("data-total") : shown + " / " + total;
    });
  }

  function remember(id, key, value) {
    state[id] = state[id] || {};
    state[id][key] = value;
    refresh(id);
  }

  each("[data-table-search]", function (input) {
    var id = input.getAttribute("data-table-search");
    input.addEventListener("input", function () { remember(id, "search", input.value); });
  });
  each("[data-column-filter]", function (select) {
    var id = select.getAttribute("data-column-filter");
    select.addEventListener("change", function () { remember(id, "group", select.value); });
  });
  each("[data-row-filter]", function (box) {
    var id = box.getAttribute("data-row-filter");
    function apply() {
      var flags = [];
      each('[data-row-filter="' + id + '"]:checked', function (b) { flags.push(b.value); });
      remember(id, "flags", flags);
    }
    box.addEventListener("change", apply);
    if (box.checked) apply(); // a filter that starts on (hide retired items)
  });
})();
