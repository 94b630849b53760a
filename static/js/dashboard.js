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

  // Long category labels (eligibility criteria) on a horizontal chart were clipped at the
  // left edge: wrap them into lines of about WRAP_WIDTH columns (a CJK character takes two)
  // and make the chart tall enough for every line.
  var WRAP_WIDTH = 34;
  var LINE_PX = 16;

  function columns(ch) { return /[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]/.test(ch) ? 2 : 1; }

  function wrap(label) {
    var lines = [], line = "", width = 0;
    String(label).split(/(\s+)/).forEach(function (word) {
      Array.from(word).forEach(function (ch) {
        var w = columns(ch);
        var breakable = w === 2 || /\s/.test(ch);
        if (width + w > WRAP_WIDTH && line.trim() && (breakable || width >= WRAP_WIDTH * 1.5)) {
          lines.push(line.trim()); line = ""; width = 0;
        }
        if (line || !/\s/.test(ch)) { line += ch; width += w; }
      });
    });
    if (line.trim()) { lines.push(line.trim()); }
    return lines.length > 1 ? lines : String(label);
  }

  function fitHeight(canvas, labels) {
    var lines = labels.reduce(function (n, l) { return n + (Array.isArray(l) ? l.length : 1); }, 0);
    var box = canvas.parentElement;
    var needed = lines * LINE_PX + labels.length * 12 + 70;
    if (needed > box.clientHeight) { box.style.height = needed + "px"; } // CSSOM, allowed by the CSP
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var horizontal = spec.indexAxis === "y";
    var labels = horizontal ? spec.labels.map(wrap) : spec.labels;
    if (horizontal) { fitHeight(canvas, labels); }
    var value = { beginAtZero: true, stacked: !!spec.stacked };
    if (spec.yMax) { value.max = spec.yMax; }
    var scales = horizontal
      ? { x: value, y: { stacked: !!spec.stacked } }
      : { x: { stacked: !!spec.stacked }, y: value };
    var chart = new Chart(canvas, {
      type: spec.type,
      data: {
        labels: labels,
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
