// The list page: its filters apply as soon as they are chosen, and its address holds only what is set.
// Without JavaScript the Apply button does the same, and the server drops the empty parameters.
(function () {
  "use strict";

  var FOCUS_KEY = "employee-list-focus";

  // The form's address with only the fields that have a value: "/?location=Madrid", not "/?q=&location=Madrid&title=".
  function go(form) {
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value !== "") {
        query.append(name, value);
      }
    });
    var address = form.getAttribute("action") + (query.toString() ? "?" + query.toString() : "");
    window.location.assign(address);
  }

  function remember(id) {
    try {
      window.sessionStorage.setItem(FOCUS_KEY, id);
    } catch (error) {
      // Storage turned off: the page loads with focus at its start, as any page does.
    }
  }

  // The menu that was changed has the focus again once the list has loaded, so a keyboard user carries on there.
  function restoreFocus() {
    var id = null;
    try {
      id = window.sessionStorage.getItem(FOCUS_KEY);
      window.sessionStorage.removeItem(FOCUS_KEY);
    } catch (error) {
      return;
    }
    var menu = id && document.getElementById(id);
    if (menu) {
      menu.focus();
    }
  }

  document.querySelectorAll("form.filter-form, form.nav-search").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      go(form);
    });
  });

  var filters = document.querySelector("form.filter-form");
  if (filters) {
    filters.querySelectorAll("[data-apply]").forEach(function (apply) {
      apply.hidden = true;
    });
    filters.querySelectorAll("[data-applies-as-chosen]").forEach(function (hint) {
      hint.hidden = false;
    });
    filters.addEventListener("change", function (event) {
      if (event.target.matches("select")) {
        remember(event.target.id);
        go(filters);
      }
    });
  }
  restoreFocus();
})();
