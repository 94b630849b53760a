/* Draws the dashboard charts with the vendored Chart.js from the data the server embedded
 * with json_script. Every chart has a table beside it with the same figures, so nothing
 * is lost when scripts are off. */
(function () {
  "use strict";
  var PALETTE = ["#0d6efd", "#198754", "#e0a800", "#6f42c1", "#dc3545", "#20c997", "#6c757d"];

  function dataset(spec, index, type) {
    var colour = spec.color || PALETTE[index % PALETTE.length];
    return Object.assign({}, spec, {
      backgroundColor: type === "line" ? colour : colour + "cc",
      borderColor: colour,
      borderWidth: type === "line" ? 2 : 1,
      spanGaps: true,
      tension: 0.1
    });
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var horizontal = spec.indexAxis === "y";
    var value = { beginAtZero: true, stacked: !!spec.stacked };
    if (spec.yMax) { value.max = spec.yMax; }
    var scales = horizontal
      ? { x: value, y: { stacked: !!spec.stacked } }
      : { x: { stacked: !!spec.stacked }, y: value };
    var chart = new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d, i) { return dataset(d, i, spec.type); })
      },
      options: {
        indexAxis: spec.indexAxis || "x",
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: { legend: { position: "bottom" } }
      }
    });
    canvas.dataset.drawn = "1";
    return chart;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
