// Suggestions while a person's name is typed: into an employee field (the manager on the employee form), where
// picking one fills in the hidden id, and into the top bar's search, where picking one (arrow keys and Enter,
// or a click) opens their page. The API's search finds them. Without this script the name typed is looked up
// when the form is sent.
(function () {
  "use strict";

  var MIN_LENGTH = 2;
  var DELAY_MS = 200;
  var NO_ID = "00000000-0000-0000-0000-000000000000";

  function avatar(person) {
    var picture = document.createElement(person.photo_url ? "img" : "span");
    picture.className = person.photo_url ? "avatar avatar-sm" : "avatar avatar-sm avatar-color-0";
    picture.setAttribute("aria-hidden", "true");
    if (person.photo_url) {
      picture.src = person.photo_url;
      picture.alt = "";
    } else {
      picture.textContent = person.full_name.split(/\s+/).map(function (word) {
        return word.charAt(0);
      }).join("").slice(0, 2).toUpperCase();
    }
    return picture;
  }

  function setUp(input) {
    var hidden = input.parentNode.querySelector("input[type=hidden]");
    var page = input.dataset.lookupPage;  // the top bar's: a person's page, with NO_ID for their id
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var timer = null;
    var request = null;
    var active = -1;

    function options() {
      return list.querySelectorAll("[role=option]");
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = options();
      if (!items.length) {
        return;
      }
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({block: "nearest"});
    }

    function choose(item) {
      if (page) {
        window.location.assign(page.replace(NO_ID, item.dataset.id));
        return;
      }
      input.value = item.dataset.name;
      hidden.value = item.dataset.id;
      close();
    }

    function show(people) {
      list.textContent = "";
      people.forEach(function (person, i) {
        var item = document.createElement("li");
        item.id = list.id + "_" + i;
        item.className = "list-group-item list-group-item-action";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.id = person.id;
        item.dataset.name = person.full_name;
        item.textContent = person.full_name + " — " + person.job_title + ", " + person.location;
        if (page) {
          item.prepend(avatar(person));
        }
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep the focus in the text box
          choose(item);
        });
        list.appendChild(item);
      });
      list.hidden = !people.length;
      input.setAttribute("aria-expanded", people.length ? "true" : "false");
    }

    function search() {
      var query = input.value.trim();
      if (query.length < MIN_LENGTH) {
        close();
        return;
      }
      if (request) {
        request.abort();
      }
      request = new AbortController();
      var url = input.dataset.lookupUrl + "?q=" + encodeURIComponent(query);
      fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin", signal: request.signal})
        .then(function (response) {
          return response.ok ? response.json() : {results: []};
        })
        .then(function (data) {
          show((data.results || []).slice(0, 8));
        })
        .catch(function (error) {
          if (error.name !== "AbortError") {
            close();
          }
        });
    }

    input.addEventListener("input", function () {
      if (hidden) {
        hidden.value = "";  // a name typed by hand is looked up on the server unless a suggestion is picked
      }
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) {
        return;
      }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(options()[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  document.querySelectorAll("input[data-lookup-url]").forEach(setUp);
})();
