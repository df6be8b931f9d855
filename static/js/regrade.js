/* Regrade page: poll the API for the preview's progress and reload once it is ready (or failed).
 * Without this script the page says the preview runs in the background; reloading shows it. */
(function () {
  "use strict";
  var live = document.getElementById("run-live");
  if (!live) return;
  var url = live.getAttribute("data-url");
  var bar = document.getElementById("run-progress");
  var text = document.getElementById("run-progress-text");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (run) {
        bar.max = run.progress_total || 1;
        bar.value = run.progress_done;
        text.textContent = run.progress_done + " / " + run.progress_total;
        if (run.status !== "queued" && run.status !== "running") { window.location.reload(); }
        else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
