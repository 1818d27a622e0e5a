// Printing the org chart shows everyone: every collapsed team is opened before the page is printed.
(function () {
  "use strict";

  window.addEventListener("beforeprint", function () {
    document.querySelectorAll(".org-tree details:not([open])").forEach(function (details) {
      details.open = true;
    });
  });
})();
