// Dependent fields of the request builder behave as a user expects. The server (the API
// contract) still judges every request; this only keeps impossible combinations out of reach.
(function () {
  "use strict";
  const form = document.getElementById("builder-form");
  if (!form) return;
  const $ = (name) => form.elements.namedItem(name);
  // The engine's limits, from its model list's wrapper (replaced when the engine changes).
  function engineRules() {
    const box = document.getElementById("builder-models");
    const data = box ? box.dataset : {};
    return {
      engine: data.engine || "",
      unsupported: (data.unsupported || "").split(" ").filter(Boolean),
      minTokens: data.minTokens || "1",
      maxTokens: data.maxTokens || "4096",
      minReasoningTokens: data.minReasoningTokens || "",
      temperatureMax: data.temperatureMax || "1",
    };
  }

  function setEnabled(input, enabled) {
    if (!input) return;
    input.disabled = !enabled;
    const label = input.closest("label");
    if (label) label.classList.toggle("is-disabled", !enabled);
  }

  function update() {
    const rules = engineRules();
    const model = $("model_name");
    const option = model && model.selectedOptions[0];
    // ChatGPT reasons by model (no switch); Claude and Gemini by the switch.
    const reasoning = rules.engine === "chat_gpt"
      ? Boolean(option && option.dataset.reasoning === "true")
      : $("use_reasoning").checked;
    const searchable = !option || option.dataset.webSearch !== "false";
    setEnabled($("use_reasoning"), true);
    setEnabled($("web_search_country_iso_code"), true);
    const webSearch = $("web_search");
    setEnabled(webSearch, searchable);
    if (!searchable) webSearch.checked = false;
    document.getElementById("web-search-note").textContent = searchable
      ? "" : "(not supported by this model)";
    setEnabled($("force_web_search"), webSearch.checked && !reasoning);
    setEnabled($("temperature"), !reasoning);
    setEnabled($("top_p"), !reasoning);
    const tokens = $("max_output_tokens");
    tokens.min = reasoning && rules.minReasoningTokens ? rules.minReasoningTokens : rules.minTokens;
    tokens.max = reasoning ? "4096" : rules.maxTokens;
    $("temperature").max = rules.temperatureMax;
    setEnabled($("web_search_city"), Boolean($("web_search_country_iso_code").value));
    // Fields the engine does not take are off and cleared (so they are not posted).
    rules.unsupported.forEach((name) => {
      const input = $(name);
      if (!input || !input.type) return;
      if (input.type === "checkbox") input.checked = false;
      else input.value = "";
      setEnabled(input, false);
    });
    const scope = form.querySelector("input[name=scope]:checked");
    form.querySelectorAll("[data-scope]").forEach((el) => {
      el.hidden = !scope || el.dataset.scope !== scope.value;
    });
  }

  // Live validation fills each field's error slot out of band, never swapping the input
  // being typed in: the input's aria-invalid follows its slot (aria-describedby names it).
  function markInvalid() {
    form.querySelectorAll(".field-error[data-error-for]").forEach((slot) => {
      const field = $(slot.dataset.errorFor);
      if (!field || !field.setAttribute) return;  // radios (a RadioNodeList) have no one input
      if (slot.textContent.trim()) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
  }

  // "Add a turn" and "Remove" replace the chain editor, and with it the focused button: focus
  // goes to the new turn's first field, or after a removal to the turn that took its place
  // (or "Add a turn" when none did), instead of dropping to the page body.
  let chainFocus = null;
  form.addEventListener("click", (event) => {
    const button = event.target.closest("#chain-editor button");
    if (!button) return;
    const turns = Array.from(form.querySelectorAll("[data-testid=chain-turn]"));
    const index = turns.indexOf(button.closest("[data-testid=chain-turn]"));
    chainFocus = index < 0 ? { add: true } : { index };
  });
  function focusChain(event) {
    // Only the chain button's own response: a live check in flight settles too.
    const config = event.detail && event.detail.requestConfig;
    const source = config && config.elt;
    if (!chainFocus || !source || !source.matches("[data-testid=add-turn], [name=chain_action]")) return;
    const turns = form.querySelectorAll("[data-testid=chain-turn]");
    const turn = chainFocus.add ? turns[turns.length - 1] : turns[chainFocus.index] || turns[turns.length - 1];
    chainFocus = null;
    const target = turn ? turn.querySelector("select, input") : form.querySelector("[data-testid=add-turn]");
    if (target) target.focus();
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  document.body.addEventListener("htmx:afterSettle", (event) => {
    update();
    markInvalid();
    focusChain(event);
  });
  update();

  // One submit per rendering: a second click (or Enter) does nothing here, as the server's
  // one-time send token would refuse it anyway. The buttons are disabled only after this
  // event, once the browser has read the clicked one's name and value into the form data.
  form.addEventListener("submit", (event) => {
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "yes";
    if (event.submitter) event.submitter.setAttribute("aria-busy", "true");
    const buttons = form.querySelectorAll("button[type=submit]");
    setTimeout(() => buttons.forEach((b) => { b.disabled = true; }), 0);
  });
  // Back to this page from the browser's cache: its buttons work again (sending the same
  // rendering twice is still refused by the server, which says it was already sent).
  addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    delete form.dataset.sending;
    form.querySelectorAll("button[type=submit]").forEach((b) => {
      b.disabled = false;
      b.removeAttribute("aria-busy");
    });
  });

  // "Save as monitor": its errors stay in view until fixed. The page re-rendered after a
  // failed save has the section open and carries intent=monitor (so the live preview keeps
  // judging the monitor's fields); its first invalid field gets the focus. Closing the
  // section drops the intent. Enter in one of its fields saves the monitor: the form's
  // default button is "Send now", which would post (and pay for) the tasks instead.
  const monitor = form.querySelector("details.monitor-save");
  const intent = $("intent");
  if (!monitor) return;
  monitor.addEventListener("toggle", () => {
    if (monitor.open || !intent || !intent.value) return;
    intent.value = "";
    if (window.htmx) window.htmx.trigger(form, "change");
  });
  monitor.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !event.target.matches("input")) return;
    event.preventDefault();
    monitor.querySelector("button[value=monitor]").click();
  });
  if (monitor.open) {
    const error = Array.from(monitor.querySelectorAll(".field-error")).find((e) => e.textContent.trim());
    const field = error && $(error.dataset.errorFor);
    if (field && field.focus) field.focus();
  }
})();
