// Behaviour every page shares. Loaded as a file: the Content-Security-Policy runs no inline
// script or event-handler attribute.
(function () {
  "use strict";
  // A <select data-submit-on-change> (the language switch) submits its form when changed;
  // without JavaScript its <noscript> button does.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
