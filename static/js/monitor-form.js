// The monitor form shows the field of the chosen scope only (the chosen prompts, or the tag).
// Without JavaScript both stay visible; the server ignores the one not chosen.
(function () {
  "use strict";
  const form = document.getElementById("monitor-form");
  if (!form) return;
  function update() {
    const scope = form.querySelector("input[name=scope]:checked");
    form.querySelectorAll("[data-scope]").forEach((el) => {
      el.hidden = Boolean(scope) && el.dataset.scope !== scope.value;
    });
  }
  form.addEventListener("change", update);
  update();
})();
