// The Downloads page: while a job is under way, its table is read again every few seconds and replaced, so
// the progress moves and the link appears without the reader reloading (and losing their place on) the page.
(function () {
  "use strict";

  var EVERY_MS = 3000;

  function refresh() {
    var jobs = document.getElementById("jobs");
    var url = jobs && jobs.dataset.refreshWhileRunning;
    if (!url) {
      return;
    }
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("jobs");
          if (fresh) {
            jobs.replaceWith(fresh);
          }
          refresh();
        })
        .catch(function () { window.setTimeout(refresh, EVERY_MS * 5); });
    }, EVERY_MS);
  }

  refresh();
})();
