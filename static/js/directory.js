// Site-wide behaviour: keyboard shortcuts, the "copy link" button, and the focus on a form's error summary.
(function () {
  "use strict";

  var TYPING = "input, textarea, select, [contenteditable]";

  function searchBox() {
    return document.getElementById("nav-search");
  }

  function firstResult() {
    return document.querySelector(".employee-table tbody a[href], .employee-cards .card-title a[href]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) {
      return;
    }
    var target = event.target;
    var typing = target.closest && target.closest(TYPING);
    if (event.key === "/" && !typing) {
      var box = searchBox();
      if (box) {
        event.preventDefault();
        if (box.closest(".collapse") && !box.closest(".show") && window.jQuery) {
          window.jQuery(box.closest(".collapse")).collapse("show");
        }
        box.focus();
        box.select();
      }
      return;
    }
    if (event.key !== "Enter" || event.shiftKey) {
      return;
    }
    var result = firstResult();
    if (!result) {
      return;
    }
    // Enter on the page itself, or in a search field whose words are the ones already shown, opens the first result.
    var onPage = target === document.body || target.id === "content";
    var sameSearch = target.matches && target.matches("input[name=q]") && target.value === target.defaultValue &&
      target.value !== "";
    if (onPage || sameSearch) {
      event.preventDefault();
      window.location.assign(result.href);
    }
  });

  document.querySelectorAll("[data-copy-link]").forEach(function (button) {
    var status = document.getElementById(button.dataset.copyLink);
    button.hidden = !navigator.clipboard;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(window.location.href).then(
        function () { status.textContent = button.dataset.copied; },
        function () { status.textContent = button.dataset.failed; }
      );
    });
  });

  // After a failed submit, start at the summary of what to fix; its links lead to each field.
  var errorSummary = document.getElementById("error-summary");
  if (errorSummary) {
    errorSummary.focus();
  }
})();
