// paperwire page behaviour. Loaded as a same-origin file (the CSP forbids inline
// script). Paper text is never turned into HTML here: KaTeX's auto-render reads text
// nodes and builds its own DOM; the copy button copies textContent.
(function () {
  "use strict";

  function renderMath() {
    if (typeof window.renderMathInElement !== "function") return;
    var nodes = document.querySelectorAll(".math");
    for (var i = 0; i < nodes.length; i++) {
      try {
        window.renderMathInElement(nodes[i], {
          delimiters: [
            { left: "$$", right: "$$", display: true },
            { left: "\\[", right: "\\]", display: true },
            { left: "\\(", right: "\\)", display: false },
            { left: "$", right: "$", display: false }
          ],
          throwOnError: false,
          // TeX KaTeX cannot typeset is shown in this colour: a site colour, so it
          // keeps its contrast in light and dark (KaTeX's own #cc0000 fails in dark).
          errorColor: "var(--math-error)",
          // TeX comes from papers: no \href, \url, \html* (trust), no size past
          // maxSize em (\rule{100000em}{100000em} would cover the page), and a bound
          // on macro expansion; site.css clips what still leaves its block.
          trust: false,
          strict: "ignore",
          maxSize: 10,
          maxExpand: 200,
          ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option"]
        });
      } catch (err) {
        // Leave the TeX source as text; it is still readable.
      }
      containMath(nodes[i]);
    }
  }

  // maxSize caps sizes but not negative ones: \raisebox{-100000em}{x} or
  // \rule[-100000em]{1em}{1em} would make the page millions of pixels tall. A formula
  // taller than this many times its text's size is shown as its TeX source instead.
  var MAX_MATH_HEIGHT_EM = 20;

  function containMath(node) {
    var limit = MAX_MATH_HEIGHT_EM * parseFloat(window.getComputedStyle(node).fontSize);
    var maths = node.querySelectorAll(".katex");
    for (var i = 0; i < maths.length; i++) {
      var math = maths[i];
      var bases = math.querySelectorAll(".katex-html > span"); // one box per line break
      var tall = false;
      for (var j = 0; j < bases.length && !tall; j++) {
        tall = bases[j].getBoundingClientRect().height > limit;
      }
      if (!tall) continue;
      var display = math.parentNode && math.parentNode.classList &&
        math.parentNode.classList.contains("katex-display");
      var source = math.querySelector('annotation[encoding="application/x-tex"]');
      var tex = source ? source.textContent : "";
      var fence = display ? "$$" : "$";
      var text = document.createTextNode(fence + tex + fence);
      var target = display ? math.parentNode : math;
      target.parentNode.replaceChild(text, target);
    }
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  function wireCopyButtons() {
    var buttons = document.querySelectorAll("[data-copy-target]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        var button = event.currentTarget;
        var target = document.getElementById(button.getAttribute("data-copy-target"));
        var status = document.getElementById(button.getAttribute("aria-describedby") || "");
        if (!target) return;
        copyText(target.textContent).then(function () {
          button.setAttribute("data-copied", "true");
          if (status) status.textContent = "Copied to the clipboard.";
        }, function () {
          if (status) status.textContent = "Could not copy; select the text and copy it by hand.";
        });
      });
    }
  }

  function wireAutoSubmit() {
    // Filter controls marked data-autosubmit submit their form on change; the submit
    // button stays for keyboard and no-JS use.
    var controls = document.querySelectorAll("[data-autosubmit]");
    for (var i = 0; i < controls.length; i++) {
      controls[i].addEventListener("change", function (event) {
        var form = event.currentTarget.form;
        if (form) form.requestSubmit ? form.requestSubmit() : form.submit();
      });
    }
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  // The cards' upvote forms work as plain POSTs; here they become a fetch to the JSON
  // API, and every card of the same paper on the page shows the new count and state.
  function showVote(url, data) {
    var forms = document.querySelectorAll("form.vote-form[data-vote-url]");
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].getAttribute("data-vote-url") !== url) continue;
      var button = forms[i].querySelector(".vote-button");
      var count = forms[i].querySelector(".vote-count");
      var next = forms[i].querySelector('input[name="voted"]');
      if (button) button.setAttribute("aria-pressed", data.voted ? "true" : "false");
      if (count) count.textContent = String(data.upvotes);
      if (next) next.value = data.voted ? "0" : "1";
    }
  }

  function wireVotes() {
    if (!window.fetch) return;
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form || !form.classList || !form.classList.contains("vote-form")) return;
      var url = form.getAttribute("data-vote-url");
      var button = form.querySelector(".vote-button");
      if (!url || !button) return;
      event.preventDefault();
      if (button.getAttribute("aria-busy") === "true") return;
      var voted = button.getAttribute("aria-pressed") === "true";
      button.setAttribute("aria-busy", "true");
      fetch(url, {
        method: voted ? "DELETE" : "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) throw new Error("vote failed: " + response.status);
        return response.json();
      }).then(function (data) {
        button.removeAttribute("aria-busy");
        showVote(url, data);
      }).catch(function () {
        button.removeAttribute("aria-busy");
        form.submit(); // the plain form says what went wrong on a page of its own
      });
    });
  }

  // Save buttons are hidden without JavaScript (a library change is a PUT or DELETE);
  // they show the saved state and toggle it through the library API.
  function wireSaves() {
    if (!window.fetch) return;
    var buttons = document.querySelectorAll(".save-button[data-library-url]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      button.hidden = false;
      var note = button.parentNode && button.parentNode.querySelector(".saved-note");
      if (note) note.hidden = true;
      button.addEventListener("click", function (event) {
        var target = event.currentTarget;
        var saved = target.getAttribute("aria-pressed") === "true";
        var headers = { "X-CSRF-Token": csrfToken(), "Accept": "application/json" };
        var init = { method: saved ? "DELETE" : "PUT", credentials: "same-origin", headers: headers };
        if (!saved) {
          headers["Content-Type"] = "application/json";
          // No fields: a save made meanwhile in another tab keeps its tags and note.
          init.body = "{}";
        }
        fetch(target.getAttribute("data-library-url"), init).then(function (response) {
          if (!response.ok) throw new Error("save failed: " + response.status);
          // The name stays "Save: <title>": a toggle tells its state by aria-pressed.
          target.setAttribute("aria-pressed", saved ? "false" : "true");
        }).catch(function () {
          target.setAttribute("data-failed", "true");
        });
      });
    }
  }

  function start() {
    renderMath();
    wireCopyButtons();
    wireAutoSubmit();
    wireVotes();
    wireSaves();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
