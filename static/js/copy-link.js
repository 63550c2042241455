// "Copy link" buttons: a button with data-copy-from="<input id>" copies that input's value
// and says so in the element named by data-copy-status. Without JavaScript the buttons stay
// hidden and the read-only input can be selected and copied by hand.
(function () {
  "use strict";
  function copy(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    input.select();  // older browsers, or a page served over plain HTTP
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject();
  }
  document.querySelectorAll("[data-copy-from]").forEach(function (button) {
    const input = document.getElementById(button.dataset.copyFrom);
    const status = document.getElementById(button.dataset.copyStatus);
    if (!input) return;
    button.hidden = false;
    input.addEventListener("focus", function () { input.select(); });
    button.addEventListener("click", function () {
      copy(input).then(function () {
        if (status) status.textContent = "Link copied.";
      }, function () {
        input.select();
        if (status) status.textContent = "Could not copy: the link is selected, press Ctrl+C (⌘C on a Mac).";
      });
    });
  });
})();
