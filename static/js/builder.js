// Dependent fields of the request builder behave as a user expects. The server (the API
// contract) still judges every request; this only keeps impossible combinations out of reach.
(function () {
  "use strict";
  const form = document.getElementById("builder-form");
  if (!form) return;
  const $ = (name) => form.elements.namedItem(name);
  const MIN_REASONING_TOKENS = 1025;

  function setEnabled(input, enabled) {
    if (!input) return;
    input.disabled = !enabled;
    const label = input.closest("label");
    if (label) label.classList.toggle("is-disabled", !enabled);
  }

  function update() {
    const reasoning = $("use_reasoning").checked;
    const model = $("model_name");
    const option = model && model.selectedOptions[0];
    const searchable = !option || option.dataset.webSearch !== "false";
    const webSearch = $("web_search");
    setEnabled(webSearch, searchable);
    if (!searchable) webSearch.checked = false;
    document.getElementById("web-search-note").textContent = searchable
      ? "" : "(not supported by this model)";
    setEnabled($("force_web_search"), webSearch.checked && !reasoning);
    setEnabled($("temperature"), !reasoning);
    setEnabled($("top_p"), !reasoning);
    $("max_output_tokens").min = reasoning ? MIN_REASONING_TOKENS : 1;
    setEnabled($("web_search_city"), Boolean($("web_search_country_iso_code").value));
    const scope = form.querySelector("input[name=scope]:checked");
    form.querySelectorAll("[data-scope]").forEach((el) => {
      el.hidden = !scope || el.dataset.scope !== scope.value;
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  document.body.addEventListener("htmx:afterSettle", update);
  update();
})();
