/* Item editor: check the item and show the student's view while the teacher types.
 *
 * Every change posts the form to the preview endpoint (nothing is saved): the answer lists the
 * bank validator's errors and warnings and the item rendered as a student sees it. Without
 * this script the page still works: "Save" checks the same way and shows the problems.
 */
(function () {
  "use strict";
  var form = document.getElementById("item-editor");
  if (!form || !window.fetch || !window.FormData) return;
  var box = document.getElementById("validation");
  var preview = document.getElementById("preview");
  var url = form.getAttribute("data-preview-url");
  var timer = null, seq = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function problems(title, list, cls) {
    var frag = document.createDocumentFragment();
    if (!list.length) return frag;
    frag.appendChild(el("p", "", title));
    var ul = el("ul");
    list.forEach(function (p) {
      var li = el("li", cls);
      if (p.line && form.querySelector("[name=yaml]")) li.appendChild(document.createTextNode(box.getAttribute("data-line") + " " + p.line + ": "));
      if (p.field) { li.appendChild(el("code", "", p.field)); li.appendChild(document.createTextNode(": ")); }
      li.appendChild(document.createTextNode(p.message));
      ul.appendChild(li);
    });
    frag.appendChild(ul);
    return frag;
  }

  function show(data) {
    box.textContent = "";
    box.classList.toggle("ok", !!data.ok);
    if (data.ok) box.appendChild(el("p", "", box.getAttribute("data-ok")));
    box.appendChild(problems(box.getAttribute("data-errors"), data.errors || [], "error"));
    box.appendChild(problems(box.getAttribute("data-warnings"), data.warnings || [], "warning"));
    if (data.html) preview.innerHTML = data.html; // rendered by the server's templates (escaped, sanitised Markdown)
  }

  function check() {
    var mine = ++seq;
    var body = new FormData(form);
    body.delete("action");
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && mine === seq) show(data); })
      .catch(function () { /* the check is a convenience; saving checks again */ });
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(check, 400); }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
