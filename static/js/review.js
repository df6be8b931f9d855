/* Review pages: a running rubric total per review form, and keyboard shortcuts.
 *
 *   0-9        score the highlighted criterion with that many points (Shift: and a half),
 *              then move to the next criterion
 *   j / k      move the highlight to the next / previous criterion
 *   n / p      open the next / previous answer in the queue
 *   Ctrl+Enter return the review to the student (and open the next answer)
 *
 * Keys typed into a text box are left alone. The server recomputes the total on save.
 */
(function () {
  "use strict";
  var forms = Array.prototype.slice.call(document.querySelectorAll("form.review-form"));
  var current = null; // the form the shortcuts act on: the one last touched, else the first

  function setup(form) {
    var out = form.querySelector(".rubric-total");
    var rows = Array.prototype.slice.call(form.querySelectorAll(".criterion"));
    var state = { form: form, rows: rows, active: 0 };

    state.update = function () {
      if (!out) return;
      var total = 0, seen = 0;
      rows.forEach(function (row) {
        var checked = row.querySelector("input:checked");
        if (checked) { total += parseFloat(checked.value); seen += 1; }
      });
      var incomplete = out.getAttribute("data-incomplete") || "(incomplete)";
      out.textContent = seen ? String(Math.round(total * 100) / 100) + (seen < rows.length ? " " + incomplete : "") : "–";
    };
    state.highlight = function (index) {
      if (!rows.length) return;
      state.active = Math.max(0, Math.min(rows.length - 1, index));
      forms.forEach(function (f) { f.querySelectorAll(".criterion.active").forEach(function (r) { r.classList.remove("active"); }); });
      rows[state.active].classList.add("active");
      current = state;
    };
    form.addEventListener("change", function (event) {
      var row = event.target.closest(".criterion");
      if (row) state.highlight(rows.indexOf(row));
      state.update();
    });
    form.addEventListener("focusin", function () { current = state; });
    state.update();
    return state;
  }

  var states = forms.map(setup);
  if (states.length) {
    var first = states[0];
    var unscored = 0;
    while (unscored < first.rows.length && first.rows[unscored].querySelector("input:checked")) unscored += 1;
    first.highlight(unscored < first.rows.length ? unscored : 0);
  }

  function typing(target) {
    var tag = target.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable ||
      (tag === "INPUT" && !/^(radio|checkbox|button|submit)$/.test(target.type));
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var button = current && current.form.querySelector("button[value=return]");
      if (button) { event.preventDefault(); button.click(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || typing(event.target)) return;
    var digit = /^Digit([0-9])$/.exec(event.code || "");
    if (digit && current && current.rows.length) {
      var value = Number(digit[1]) + (event.shiftKey ? 0.5 : 0);
      var inputs = current.rows[current.active].querySelectorAll("input[type=radio]");
      for (var i = 0; i < inputs.length; i += 1) {
        if (Math.abs(parseFloat(inputs[i].value) - value) < 1e-9) {
          event.preventDefault();
          inputs[i].checked = true;
          current.update();
          current.highlight(current.active + 1 < current.rows.length ? current.active + 1 : current.active);
          return;
        }
      }
      return;
    }
    var link = null;
    if (event.key === "j" && current) { current.highlight(current.active + 1); event.preventDefault(); }
    else if (event.key === "k" && current) { current.highlight(current.active - 1); event.preventDefault(); }
    else if (event.key === "n") link = document.getElementById("next-in-queue");
    else if (event.key === "p") link = document.getElementById("prev-in-queue");
    if (link) { event.preventDefault(); window.location.href = link.href; }
  });
})();
