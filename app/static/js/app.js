/*
 * Dayanışma — progressive enhancement only. Every page works without this file.
 * Loaded with `defer` from this origin (CSP: script-src 'self'); no inline handlers, no storage; the only network
 * use is 6 (same origin).
 *
 *  1. Focus the error summary when a form comes back with errors, so screen readers announce it.
 *  2. Clicking a link in the error summary focuses the field itself (not just scrolls to it).
 *  3. <form data-confirm="Question?"> asks before submitting (macros/forms.html: post_button(confirm=...)).
 *  4. <button data-print> prints the page (shown only when this script runs).
 *  4b. <button data-add-row> inside <fieldset data-rows data-max="12"> adds one more (empty) copy of the last
 *     [data-row] in place, renumbering names and ids (children-0- → children-1-); without this script the button
 *     asks the server for the same page with one more row.
 *  5. Idle warning: <body data-idle-seconds="900" data-idle-warning="..." data-idle-expired-url="...">
 *     shows a banner shortly before the server ends an idle session, and then leaves the page, so that a
 *     signed-out screen does not keep showing confidential data on a shared office PC.
 *  6. Collapsed sections of the case page: <details data-section-url="..."> fetches the section (its own audited
 *     request) into [data-section-body] the first time it is opened; the page address's #anchor naming a section
 *     opens it. Without this script the link inside shows the section on a page of its own.
 */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (!summary) {
      return;
    }
    summary.setAttribute("tabindex", "-1");
    summary.focus();

    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) {
        return;
      }
      event.preventDefault();
      // Radios and checkbox groups: focus the first input inside the group.
      if (!/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) {
        target = target.querySelector("input, select, textarea") || target;
      }
      var field = target.closest(".field") || target;
      field.scrollIntoView();
      target.focus({ preventScroll: true });
    });
  }

  function confirmForms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var question = form.getAttribute && form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
      }
    });
  }

  function addRowButtons() {
    var fields = ["id", "for", "name", "aria-describedby"];
    Array.prototype.forEach.call(document.querySelectorAll("[data-add-row]"), function (button) {
      var box = button.closest("[data-rows]");
      if (!box) {
        return;
      }
      var max = parseInt(box.getAttribute("data-max"), 10) || 12;
      button.addEventListener("click", function (event) {
        var rows = box.querySelectorAll("[data-row]");
        if (!rows.length || rows.length >= max) {
          return;
        }
        event.preventDefault();
        var last = rows[rows.length - 1];
        var n = rows.length;
        var row = last.cloneNode(true);
        Array.prototype.forEach.call(row.querySelectorAll("*"), function (el) {
          fields.forEach(function (attr) {
            var value = el.getAttribute(attr);
            if (value) {
              el.setAttribute(attr, value.replace(/-\d+-/g, "-" + n + "-"));
            }
          });
        });
        Array.prototype.forEach.call(row.querySelectorAll("input, select, textarea"), function (el) {
          if (el.tagName === "SELECT") {
            el.selectedIndex = 0;
          } else {
            el.value = "";
          }
          el.removeAttribute("aria-invalid");
        });
        Array.prototype.forEach.call(row.querySelectorAll(".field__error"), function (el) {
          el.parentNode.removeChild(el);
        });
        Array.prototype.forEach.call(row.querySelectorAll(".field--error"), function (el) {
          el.classList.remove("field--error");
        });
        var legend = row.querySelector("legend");
        if (legend) {
          legend.textContent = legend.textContent.replace(/\d+/, String(n + 1));
        }
        last.parentNode.insertBefore(row, last.nextSibling);
        if (n + 1 >= max) {
          button.hidden = true;
        }
        var first = row.querySelector("input, select");
        if (first) {
          first.focus();
        }
      });
    });
  }

  function printButtons() {
    var buttons = document.querySelectorAll("[data-print]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  // Restarts the idle timers: set by idleWarning, called again whenever the server has seen a request from this
  // page (a section opened), which restarted its own idle count.
  var restartIdle = function () {};

  function idleWarning() {
    var body = document.body;
    var total = parseInt(body.getAttribute("data-idle-seconds"), 10);
    if (!total || total < 60) {
      return;
    }
    var message = body.getAttribute("data-idle-warning");
    var expiredUrl = body.getAttribute("data-idle-expired-url");
    // The server counts from the last request it saw, which may be up to 30 s before this page loaded.
    var warnAfter = Math.max(total - 180, 30) * 1000;
    // Leave only once the server has surely ended the session: arriving at the sign-in page then shows
    // "your session has ended". If another tab kept the session alive, the server sends us home instead.
    var leaveAfter = (total + 5) * 1000;
    var timers = [];
    var banner = null;

    function start() {
      timers.forEach(window.clearTimeout);
      timers = [];
      if (banner) {
        banner.remove();
        banner = null;
      }
      if (message) {
        timers.push(window.setTimeout(function () {
          banner = document.createElement("div");
          banner.className = "session-warning no-print";
          banner.setAttribute("role", "alert");
          var text = document.createElement("p");
          text.textContent = message;
          banner.appendChild(text);
          body.appendChild(banner);
        }, warnAfter));
      }
      if (expiredUrl) {
        timers.push(window.setTimeout(function () {
          window.location.replace(expiredUrl);
        }, leaveAfter));
      }
    }
    restartIdle = start;
    start();
  }

  function caseSections() {
    var sections = document.querySelectorAll("details[data-section-url]");
    if (!sections.length || !window.fetch) {
      return;
    }
    function load(details) {
      var body = details.querySelector("[data-section-body]");
      var link = body && body.querySelector("a[href]");
      if (!body || details.getAttribute("data-state")) {
        return;
      }
      details.setAttribute("data-state", "loading");
      details.setAttribute("aria-busy", "true");
      window.fetch(details.getAttribute("data-section-url"), { credentials: "same-origin", redirect: "follow" })
        .then(function (response) {
          if (!response.ok || response.redirected) {
            throw new Error("section " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var anchor = details.id;
          body.innerHTML = html;  // rendered and escaped by the server's templates
          if (anchor && body.querySelector("#" + anchor)) {
            details.removeAttribute("id");  // the section itself carries the anchor now
          }
          details.setAttribute("data-state", "loaded");
          details.removeAttribute("aria-busy");
          restartIdle();  // the server saw her request: its idle count starts again, so does ours
          if (anchor && window.location.hash === "#" + anchor) {
            var target = document.getElementById(anchor) || details;
            target.scrollIntoView();
          }
        })
        .catch(function () {
          // Signed out, refused or offline: the plain link (its own page) says why.
          if (link) {
            window.location.assign(link.getAttribute("href"));
          }
        });
    }
    Array.prototype.forEach.call(sections, function (details) {
      details.addEventListener("toggle", function () {
        if (details.open) {
          load(details);
        }
      });
    });
    var wanted = window.location.hash.slice(1);
    if (wanted) {
      var target = document.getElementById(wanted);
      if (target && target.matches("details[data-section-url]")) {
        target.open = true;
        load(target);
      }
    }
  }

  function init() {
    caseSections();
    focusErrorSummary();
    confirmForms();
    printButtons();
    addRowButtons();
    idleWarning();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
