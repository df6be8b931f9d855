/* Lesson page: live "interpreted as" preview and instant grading through the student API.
 *
 * Plain JS, no framework and no CDN. Every form still works without this script (it posts to
 * the server and comes back to the lesson); with it, answers are checked in place.
 */
(function () {
  "use strict";

  var T = JSON.parse(document.getElementById("i18n-strings").textContent);
  var DEBOUNCE_MS = 250;

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function postJSON(url, body, form, headers) {
    var h = { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form), "Accept": "application/json" };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(url, { method: "POST", credentials: "same-origin", headers: h, body: JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
      });
  }

  // MathML from the API is sanitised server-side (nh3 allow-list) before it is sent.
  function setMath(node, mathml) { node.innerHTML = mathml; }

  /* --- "interpreted as" preview ------------------------------------------------------------- */

  function unitBoxFor(box) {
    var row = box.closest(".answer-row");
    return row ? row.querySelector(".unit-box") : null;
  }

  function typedValue(box) {
    var unit = unitBoxFor(box);
    var value = box.value.trim();
    if (unit && unit.value.trim()) value = (value + " " + unit.value.trim()).trim();
    return value;
  }

  function setupPreview(article, box) {
    var output = box.closest(".answer-row").parentNode.querySelector("output.interp");
    var timer = null, seq = 0;
    function run() {
      var text = typedValue(box);
      var mine = ++seq;
      if (!text) { output.textContent = ""; output.className = "interp"; return; }
      var body = { text: text };
      if (box.dataset.part) body.part = box.dataset.part;
      postJSON(article.dataset.interpretUrl, body, article.querySelector("form")).then(function (res) {
        if (mine !== seq) return; // a newer keystroke already asked
        output.textContent = "";
        if (res.status === 200 && res.data.ok) {
          output.className = "interp ok";
          output.appendChild(el("span", { "class": "label" }, T.interpreted_as + " "));
          var math = el("span", { "class": "math" });
          setMath(math, res.data.mathml || "");
          if (!res.data.mathml) math.textContent = res.data.canonical;
          output.appendChild(math);
        } else if (res.status === 200) {
          output.className = "interp bad";
          output.textContent = res.data.message;
        } else if (res.data && res.data.error) {
          output.className = "interp bad";
          output.textContent = res.data.error.message;
        }
      }).catch(function () { /* the preview is a convenience: stay quiet */ });
    }
    function schedule() { clearTimeout(timer); timer = setTimeout(run, DEBOUNCE_MS); }
    box.addEventListener("input", schedule);
    var unit = unitBoxFor(box);
    if (unit) unit.addEventListener("input", schedule);
  }

  /* --- submit --------------------------------------------------------------------------------- */

  function readInput(scope, type) {
    if (type === "multiple_choice") {
      var checked = Array.prototype.map.call(scope.querySelectorAll("input:checked"), function (i) { return i.value; });
      var multiple = scope.querySelector("input[type=checkbox]") !== null;
      return multiple ? checked : (checked[0] || "");
    }
    if (type === "free_text") return scope.querySelector("textarea").value;
    if (type === "matching") {
      var pairs = {};
      scope.querySelectorAll("select[data-pair]").forEach(function (sel) { if (sel.value) pairs[sel.dataset.pair] = sel.value; });
      return pairs;
    }
    var box = scope.querySelector(".answer-box");
    return box ? typedValue(box) : "";
  }

  function readResponse(article) {
    var type = article.dataset.type;
    if (type === "multipart") {
      var out = {};
      article.querySelectorAll("fieldset.part").forEach(function (fs) { out[fs.dataset.part] = readInput(fs, fs.dataset.type); });
      return out;
    }
    return readInput(article.querySelector("form"), type);
  }

  function verdictText(a) {
    if (a.status === "pending_review") return T.pending_review;
    if (a.status === "undecided") return T.undecided;
    return T[a.outcome] || a.outcome;
  }

  function verdictClass(a) {
    if (a.status === "pending_review") return "pending";
    if (a.status === "undecided") return "undecided";
    if (a.correct) return "correct";
    return a.outcome === "partially_correct" ? "partial" : "incorrect";
  }

  function partClass(part) {
    if (part.outcome === "correct" || part.correct) return "ok";
    if (part.outcome === "needs_review") return "review";
    if (part.outcome === "not_graded" || part.outcome === "invalid" || part.outcome === "undecided") return "skip";
    if (part.outcome === "partially_correct") return "partial";
    return "no";
  }

  function awardIcon(award) {
    var holder = document.getElementById("award-icons");
    if (!holder || !holder.content) return null;
    var code = award.kind === "achievement" ? award.code : award.kind;
    var found = holder.content.querySelector('[data-code="' + code + '"] svg');
    return found ? found.cloneNode(true) : null;
  }

  function renderResult(article, a) {
    var box = article.querySelector(".result");
    box.textContent = "";
    var wrap = el("div", { "class": "verdict verdict-" + verdictClass(a) });
    var title = el("p", { "class": "verdict-title" });
    if (a.state && a.state.correct && !a.correct) title.appendChild(el("span", { "class": "latest" }, T.latest_try + " "));
    title.appendChild(el("strong", {}, verdictText(a)));
    if (a.score !== null && a.score !== undefined && a.status !== "pending_review") title.appendChild(el("span", { "class": "small" }, " · " + T.score + " " + Number(a.score).toFixed(2)));
    title.appendChild(el("span", { "class": "small" }, " · " + T["try"] + " " + a.number));
    wrap.appendChild(title);
    if (a.interpretation && a.interpretation.ok) {
      var p = el("p", { "class": "small" }, T.interpreted_as + " ");
      var m = el("span", { "class": "math" }); setMath(m, a.interpretation.mathml || ""); p.appendChild(m);
      wrap.appendChild(p);
    }
    if (a.feedback && a.status !== "pending_review") wrap.appendChild(el("p", { "class": "feedback" }, a.feedback));
    if (a.parts && a.parts.length) {
      var ul = el("ul", { "class": "part-results" });
      a.parts.forEach(function (part) {
        // A part waiting for a teacher is neutral, never a red cross (as the server renders it).
        var li = el("li", { "class": partClass(part), "data-outcome": part.outcome });
        li.appendChild(el("strong", {}, part.label || part.id));
        var text = part.outcome === "needs_review" ? T.needs_review : (part.feedback || T[part.outcome] || part.outcome);
        li.appendChild(document.createTextNode(": " + text));
        ul.appendChild(li);
      });
      wrap.appendChild(ul);
    }
    if (a.hints && a.hints.length && !a.correct) {
      var hint = el("p", { "class": "hint" });
      hint.appendChild(el("strong", {}, T.hint + ": "));
      hint.appendChild(document.createTextNode(a.hints[0]));
      wrap.appendChild(hint);
    }
    if (a.explanation_html) {
      var d = el("details", { open: "" });
      d.appendChild(el("summary", {}, T.explanation));
      var body = el("div", { "class": "explanation" });
      body.innerHTML = a.explanation_html; // sanitised server-side (nh3), like lesson text
      d.appendChild(body);
      wrap.appendChild(d);
    }
    (a.awards || []).forEach(function (award) {
      var text = award.kind === "xp" ? (award.amount > 0 ? "+" : "") + award.amount + " XP" : award.title;
      var line = el("p", { "class": "award award-" + award.kind });
      var icon = awardIcon(award);
      if (icon) line.appendChild(icon);
      line.appendChild(el("span", {}, text));
      wrap.appendChild(line);
    });
    box.appendChild(wrap);
  }

  // The card's own line: done, awaiting review, best score so far (the latest try may be worse).
  function renderStatus(article, state) {
    var line = article.querySelector("[data-item-status]");
    if (!line) return;
    var feedback = line.querySelector("a");
    line.textContent = "";
    if (state.correct || (state.done && !state.pending_review)) {
      line.appendChild(el("span", { "class": "badge ok" }, T.done));
    } else if (state.pending_review) {
      line.appendChild(el("span", { "class": "badge wait" }, T.pending_review));
    }
    if (state.best_score !== null && state.best_score !== undefined && !state.pending_review) {
      line.appendChild(document.createTextNode(" "));
      line.appendChild(el("span", { "class": "small best-score" }, T.best.replace("{s}", Number(state.best_score).toFixed(2))));
    }
    if (feedback) { line.appendChild(document.createTextNode(" ")); line.appendChild(feedback); }
  }

  function applyState(article, a) {
    var state = a.state || {};
    var left = article.querySelector(".attempts-left");
    if (left && state.attempts_left !== null && state.attempts_left !== undefined) left.textContent = state.attempts_left;
    article.classList.toggle("is-correct", !!state.correct);
    renderStatus(article, state);
    var button = article.querySelector("form button[type=submit]");
    if (button && state.attempts_left === 0 && !state.correct) button.disabled = true;
    var gained = (a.awards || []).filter(function (w) { return w.kind === "xp"; }).reduce(function (s, w) { return s + w.amount; }, 0);
    if (gained) {
      document.querySelectorAll("[data-xp-total]").forEach(function (node) {
        node.textContent = String(Number(node.textContent) + gained);
      });
    }
    if ((a.awards || []).length) refreshLevelBar();
  }

  // The level strip's other numbers (XP to next level, level name, achievements) come from
  // the server, which knows the thresholds and the translations.
  function refreshLevelBar() {
    var bar = document.querySelector("[data-levelbar]");
    if (!bar || !window.fetch) return;
    fetch(bar.dataset.url || "/api/progress/", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) return;
        var level = p.level;
        var name = bar.querySelector("[data-level-name]"); if (name) name.textContent = level.name;
        var meter = bar.querySelector("[data-level-meter]");
        if (meter && level.next_threshold !== null) { meter.max = level.next_threshold - level.floor; meter.value = level.xp - level.floor; }
        var ach = bar.querySelector("[data-achievements]"); if (ach) ach.textContent = p.achievements_unlocked;
        var line = bar.querySelector("[data-level-line]");
        if (line && level.next_threshold !== null) {
          line.textContent = T.level_line
            .replace("{a}", level.xp - level.floor).replace("{b}", level.next_threshold - level.floor)
            .replace("{n}", level.xp_to_go);
        }
        bar.querySelectorAll("[data-xp-total]").forEach(function (n) { n.textContent = level.xp; });
      })
      .catch(function () {});
  }

  function setupSubmit(article) {
    var form = article.querySelector("form.answer");
    if (!form) return;
    var error = form.querySelector(".form-error");
    var keyInput = form.querySelector("input[name=idempotency_key]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      error.hidden = true;
      var key = keyInput.value;
      postJSON(article.dataset.submitUrl, { response: readResponse(article) }, form, { "Idempotency-Key": key })
        .then(function (res) {
          if (res.status === 200 || res.status === 201) {
            keyInput.value = newKey();
            renderResult(article, res.data);
            applyState(article, res.data);
          } else {
            error.textContent = (res.data && res.data.error && res.data.error.message) || ("HTTP " + res.status);
            error.hidden = false;
            if (res.status !== 400) keyInput.value = newKey();
          }
        })
        .catch(function () { error.textContent = T.network_error; error.hidden = false; })
        .then(function () {
          var state = article.classList.contains("is-correct");
          if (!(article.querySelector(".attempts-left") && article.querySelector(".attempts-left").textContent === "0" && !state)) button.disabled = false;
        });
    });
  }

  /* Cloze items (imported from Moodle): each part's box moves into its numbered blank,
     "(1) _____", in the question text. Without script the parts stay below the text. */
  function placeClozeParts(article) {
    var question = article.querySelector(".question[data-cloze]");
    if (!question) return;
    var parts = {};
    article.querySelectorAll("fieldset.part").forEach(function (fs) {
      var legend = fs.querySelector("legend");
      if (legend) parts[legend.textContent.trim()] = fs;
    });
    var walker = document.createTreeWalker(question, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var re = /\((\d+)\) _____/;
      var match = re.exec(node.nodeValue);
      while (match && parts["(" + match[1] + ")"]) {
        var after = node.splitText(match.index);
        node = after.splitText(match[0].length);
        var slot = document.createElement("span");
        slot.className = "cloze-slot";
        var fs = parts["(" + match[1] + ")"];
        fs.classList.add("inline");
        slot.appendChild(fs);
        after.parentNode.replaceChild(slot, after);
        match = re.exec(node.nodeValue);
      }
    });
  }

  document.querySelectorAll("article.item").forEach(function (article) {
    placeClozeParts(article);
    article.querySelectorAll("[data-interpret]").forEach(function (box) { setupPreview(article, box); });
    setupSubmit(article);
  });
})();
