// Live "n / max" counters for textareas with data-char-limit and data-counter="<output id>".
// Counts code points, as the server does, so an emoji counts once.
(function () {
  "use strict";

  function update(field, out) {
    var used = Array.from(field.value).length;
    var max = Number(field.dataset.charLimit);
    out.textContent = used > max ? used + " / " + max + " — " + (used - max) + " too many" : used + " / " + max;
    out.classList.toggle("over", used > max);
  }

  function init(root) {
    root.querySelectorAll("[data-char-limit][data-counter]").forEach(function (field) {
      var out = document.getElementById(field.dataset.counter);
      if (!out || field.dataset.counterReady) return;
      field.dataset.counterReady = "1";
      field.addEventListener("input", function () { update(field, out); });
      update(field, out);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();
