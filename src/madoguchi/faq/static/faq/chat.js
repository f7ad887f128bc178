/* The FAQ chat, progressively enhanced: without JavaScript the form is a plain search (GET) that loads the
   answer page. With it, the answer is fetched as server-rendered HTML and appended to the log, a live region
   that screen readers announce; "was this helpful?" is sent without leaving the page. No dependencies. */
(function () {
  "use strict";

  function enhance(root) {
    var form = root.querySelector("[data-faq-form]");
    var log = root.querySelector("[data-faq-log]");
    if (!form || !log || form.dataset.faqReady) { return; }
    form.dataset.faqReady = "1";
    var input = form.querySelector("input[name=q]");
    var button = form.querySelector("button[type=submit]");

    form.addEventListener("submit", function (event) {
      var text = (input.value || "").trim();
      if (!text) { return; } // let the server say what is missing
      event.preventDefault();
      button.disabled = true;
      fetch(form.dataset.partialUrl + encodeURIComponent(text), {
        headers: { "X-Requested-With": "fetch" }, credentials: "same-origin"
      }).then(function (response) {
        return response.text();
      }).then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        while (holder.firstChild) { log.appendChild(holder.firstChild); }
        input.value = "";
        var answers = log.querySelectorAll("[data-faq-answer]");
        var last = answers[answers.length - 1];
        if (last) { last.setAttribute("tabindex", "-1"); }
        log.scrollTop = log.scrollHeight;
      }).catch(function () {
        form.submit();
      }).finally(function () {
        button.disabled = false;
        input.focus();
      });
    });

    log.addEventListener("submit", function (event) {
      var feedback = event.target.closest("[data-faq-feedback]");
      if (!feedback) { return; }
      event.preventDefault();
      var data = new FormData(feedback);
      if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
      fetch(feedback.action, {
        method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
      }).then(function (response) { return response.text(); }).then(function (html) {
        var done = document.createElement("div");
        done.innerHTML = html;
        feedback.replaceWith(done);
      }).catch(function () { feedback.submit(); });
    });
  }

  function start() {
    document.querySelectorAll("[data-faq-widget], main").forEach(enhance);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
