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
          trust: false,
          strict: "ignore",
          maxExpand: 200,
          ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option"]
        });
      } catch (err) {
        // Leave the TeX source as text; it is still readable.
      }
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

  function start() {
    renderMath();
    wireCopyButtons();
    wireAutoSubmit();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
