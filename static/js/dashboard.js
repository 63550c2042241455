/* Draws the dashboard's charts from the JSON the server put beside them (json_script),
   again after every htmx swap of the dashboard body. */
(function () {
  "use strict";
  var charts = [];

  function dataset(series, extra) {
    return Object.assign({
      label: series.label,
      data: series.data,
      borderColor: series.colour,
      backgroundColor: series.colour,
      borderWidth: series.own ? 3 : 1.5,
      pointRadius: 2,
      spanGaps: true,
      tension: 0.2
    }, extra || {});
  }

  function percentAxis() {
    return { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } };
  }

  /* A vertical dashed line, labelled, on each bucket where an engine's model changed
     (trend.changes: {bucket, text}); Chart.js has no annotations without a plugin, and
     this one is small enough to keep here. */
  function modelMarks(trend) {
    var changes = trend.changes || [];
    return {
      id: "modelMarks",
      afterDatasetsDraw: function (chart) {
        var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx, drawn = 0;
        ctx.save();
        ctx.strokeStyle = "#6b7280";
        ctx.fillStyle = "#374151";
        ctx.font = "11px sans-serif";
        ctx.setLineDash([4, 3]);
        changes.forEach(function (change, i) {
          var index = trend.labels.indexOf(change.bucket);
          if (index < 0) return;
          var px = x.getPixelForValue(index);
          ctx.beginPath();
          ctx.moveTo(px, area.top);
          ctx.lineTo(px, area.bottom);
          ctx.stroke();
          // Near the right edge the label goes left of its line, not off the chart.
          var width = ctx.measureText(change.text).width;
          var left = px + 3 + width > area.right ? px - 3 - width : px + 3;
          ctx.fillText(change.text, left, area.top + 11 + 12 * (i % 3));
          drawn += 1;
        });
        ctx.restore();
        chart.canvas.dataset.modelMarks = String(drawn);
      }
    };
  }

  function draw() {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof Chart === "undefined") return;
    var trend = JSON.parse(source.textContent).trend;
    var n = trend.n;
    var tooltip = {
      callbacks: {
        footer: function (items) { return items.length ? "n = " + n[items[0].dataIndex] + " answers" : ""; }
      }
    };
    var common = { responsive: true, animation: false, interaction: { mode: "index", intersect: false } };
    var make = function (id, config) {
      var canvas = document.getElementById(id);
      if (canvas) charts.push(new Chart(canvas, config));
    };
    make("chart-visibility", {
      type: "line",
      data: { labels: trend.labels, datasets: trend.visibility.map(function (s) { return dataset(s); }) },
      options: Object.assign({}, common, { scales: percentAxis(), plugins: { tooltip: tooltip } }),
      plugins: [modelMarks(trend)]
    });
    make("chart-sov", {
      type: "line",
      data: { labels: trend.labels, datasets: trend.sov.map(function (s) { return dataset(s); }) },
      options: Object.assign({}, common, { scales: percentAxis(), plugins: { tooltip: tooltip } }),
      plugins: [modelMarks(trend)]
    });
    make("chart-cost", {
      type: "bar",
      data: {
        labels: trend.cost.labels,
        datasets: [
          { label: "Money spent (USD)", data: trend.cost.spent, backgroundColor: "#4f46e5" },
          { label: "Prepaid (USD)", data: trend.cost.prepaid, backgroundColor: "#a5b4fc" }
        ]
      },
      options: Object.assign({}, common, { scales: { y: { beginAtZero: true } } })
    });
    document.body.dataset.chartsDrawn = String(Number(document.body.dataset.chartsDrawn || 0) + 1);
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "dashboard-body") draw();
  });
})();
