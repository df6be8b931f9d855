// LTI pages: no inline script, so a strict Content-Security-Policy can stay on.
(function () {
  "use strict";

  // The cookie check at the start of an LTI sign-in: continue if this frame may keep cookies,
  // otherwise say so and offer a new window (where the same sign-in works).
  var check = document.getElementById("lti-cookie-check");
  if (check) {
    var secure = window.location.protocol === "https:";
    document.cookie = "lti_cookie_check=1; path=/" + (secure ? "; SameSite=None; Secure" : "");
    if (document.cookie.indexOf("lti_cookie_check=1") !== -1) {
      document.cookie = "lti_cookie_check=; path=/; expires=Thu, 01 Jan 1970 00:00:01 GMT" +
        (secure ? "; SameSite=None; Secure" : "");
      window.location.replace(check.getAttribute("data-continue"));
    } else {
      document.getElementById("lti-loading").hidden = true;
      document.getElementById("lti-blocked").hidden = false;
    }
  }

  // The deep-linking response goes back to the LMS by itself; the button is the fallback.
  var form = document.getElementById("lti-autosubmit");
  if (form) {
    form.submit();
  }
})();
