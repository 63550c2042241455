// The answer text marks each brand it names (<mark data-brand="id">); the table of brands
// named carries each brand's colour class. Copy that class onto the brand's marks in the
// text: a class, because the Content-Security-Policy refuses inline styles.
(function () {
  "use strict";

  function paint() {
    document.querySelectorAll("mark[data-brand][data-colour]").forEach(function (key) {
      document.querySelectorAll('mark[data-brand="' + key.dataset.brand + '"]').forEach(function (mark) {
        mark.classList.add(key.dataset.colour);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", paint);
  } else {
    paint();
  }
})();
