// Draws each headcount table as a bar chart. The table stays on the page: it is the chart's text alternative
// and its data source, and each bar opens the same filtered list as the table's link (a row without a link,
// such as a month of joiners, gives a bar that opens nothing). Bars run sideways unless the table says
// data-index-axis="x" (columns, for months).
(function () {
  "use strict";

  function colour(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  document.querySelectorAll("table[data-chart]").forEach(function (table) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var links = rows.map(function (row) {
      var link = row.querySelector("a");
      return link ? link.href : null;
    });
    var indexAxis = table.dataset.indexAxis || "y";
    var canvas = document.getElementById(table.dataset.chart);
    if (indexAxis === "y") {
      // Room for every bar, however many rows (set through the CSSOM, which the Content Security Policy allows).
      canvas.parentNode.style.height = (rows.length * 32 + 48) + "px";
    }
    var counts = { ticks: { precision: 0, color: colour("--chart-text") }, grid: { color: colour("--chart-grid") }, beginAtZero: true };
    var names = { ticks: { color: colour("--chart-text") }, grid: { display: false } };
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
        indexAxis: indexAxis,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: indexAxis === "y" ? { x: counts, y: names } : { x: names, y: counts },
        onHover: function (event, elements) {
          canvas.classList.toggle("chart-pointer", elements.length > 0 && links[elements[0].index] !== null);
        },
        onClick: function (event, elements) {
          if (elements.length && links[elements[0].index] !== null) {
            window.location.assign(links[elements[0].index]);
          }
        },
      },
    });
  });
})();
