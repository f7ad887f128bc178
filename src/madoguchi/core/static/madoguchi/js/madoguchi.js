// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen-reader and keyboard users hear what to fix first.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }

    // A form submits once: a double click or an impatient second press must not send it twice.
    document.querySelectorAll("form[method='post'], form[method='POST']").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.submitting === "true") {
          event.preventDefault();
          return;
        }
        form.dataset.submitting = "true";
        window.setTimeout(function () { form.dataset.submitting = "false"; }, 8000);
      });
    });

    // Confirm destructive actions that carry data-confirm (the message is in the page's language).
    document.querySelectorAll("[data-confirm]").forEach(function (element) {
      element.addEventListener("click", function (event) {
        if (!window.confirm(element.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });

    // Staff keyboard shortcut: "/" focuses the first search or filter field.
    if (document.body.classList.contains("staff")) {
      document.addEventListener("keydown", function (event) {
        var target = event.target;
        var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
        if (event.key === "/" && !typing) {
          var field = document.querySelector(".filters input, .filters select");
          if (field) {
            event.preventDefault();
            field.focus();
          }
        }
      });
    }
  });
})();
