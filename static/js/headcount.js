// Draws each headcount table as a bar chart. The table stays on the page: it is the chart's text alternative
// and its data source, and each bar opens the same filtered list as the table's link.
(function () {
  "use strict";

  function colour(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  document.querySelectorAll("table[data-chart]").forEach(function (table) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var links = rows.map(function (row) { return row.querySelector("a").href; });
    var canvas = document.getElementById(table.dataset.chart);
    // Room for every bar, however many rows (set through the CSSOM, which the Content Security Policy allows).
    canvas.parentNode.style.height = (rows.length * 32 + 48) + "px";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (row) { return row.cells[0].textContent.trim(); }),
        datasets: [{
          label: table.tHead.rows[0].cells[1].textContent.trim(),
          data: rows.map(function (row) { return Number(row.cells[1].textContent); }),
          backgroundColor: colour("--chart-bar"),
          hoverBackgroundColor: colour("--chart-bar-hover"),
        }],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0, color: colour("--chart-text") }, grid: { color: colour("--chart-grid") } },
          y: { ticks: { color: colour("--chart-text") }, grid: { display: false } },
        },
        onHover: function (event, elements) {
          canvas.classList.toggle("chart-pointer", elements.length > 0);
        },
        onClick: function (event, elements) {
          if (elements.length) {
            window.location.assign(links[elements[0].index]);
          }
        },
      },
    });
  });
})();
