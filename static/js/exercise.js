// Live job state on the submission page: poll the small status endpoint while any job is
// queued or running, update the step counter and bar, and reload once every job is done so
// the server renders the outputs. Plain JS, no library.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || live.dataset.finished === "1") { return; }
  var url = live.dataset.statusUrl;
  var delay = 1000;

  function label(job) {
    var text = job.status;
    if (job.status === "running" && job.progress_total) {
      text += " · step " + job.progress_step + " of " + job.progress_total;
    }
    return text;
  }

  function update(state) {
    state.jobs.forEach(function (job) {
      var box = live.querySelector('[data-job="' + job.id + '"]');
      if (!box) { return; }
      var stateEl = box.querySelector('[data-role="state"]');
      if (stateEl) { stateEl.textContent = label(job); }
      var bar = box.querySelector('[data-role="bar"]');
      if (bar && job.progress_total) {
        bar.max = job.progress_total;
        bar.value = job.progress_step;
      }
      box.dataset.status = job.status;
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (state) {
        update(state);
        if (state.finished) { window.location.reload(); return; }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);  // the server is restarting: back off, keep trying
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
