/* Bar charts drawn from data the page embeds with json_script (Chart.js is vendored). */
(function () {
  "use strict";

  function costPerDay(canvas) {
    var source = document.getElementById(canvas.dataset.source);
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    // Amounts arrive as exact decimal strings; floats are fine for drawing bars.
    var toNumber = function (values) { return values.map(Number); };
    canvas.chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Money spent (USD)", data: toNumber(data.spent), backgroundColor: "#4f46e5" },
          { label: "Prepaid (USD)", data: toNumber(data.prepaid), backgroundColor: "#c7d2fe" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true } },
          y: { beginAtZero: true, ticks: { callback: function (v) { return "$" + v; } } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var exact = ctx.datasetIndex === 0 ? data.spent : data.prepaid;
                return ctx.dataset.label + ": $" + exact[ctx.dataIndex];
              }
            }
          }
        }
      }
    });
  }

  function draw() {
    document.querySelectorAll('canvas[data-chart="cost-per-day"]').forEach(function (canvas) {
      if (!canvas.chart) costPerDay(canvas);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
