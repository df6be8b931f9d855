// The bank import page polls its job while a worker checks or writes it, moves the progress
// bar, and reloads once the job has moved on (to the preview, the problems or the result).
(function () {
  "use strict";
  const page = document.querySelector(".bank-import[data-state-url]");
  if (!page) return;
  const url = page.dataset.stateUrl;
  const bar = document.getElementById("import-progress");
  const text = document.getElementById("import-progress-text");
  const started = page.dataset.status;
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.status !== started || !state.active) { window.location.reload(); return; }
        if (state.progress_total) {
          bar.max = state.progress_total;
          bar.value = state.progress_done;
          if (state.status === "checking") {
            text.textContent = state.progress_done + " / " + state.progress_total;
          }
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 700);
})();
