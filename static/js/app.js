// Site-wide: when an htmx request fails, say so instead of silently doing nothing.
(function () {
  "use strict";
  function notify(text) {
    let box = document.getElementById("htmx-error");
    if (!box) {
      box = document.createElement("article");
      box.id = "htmx-error";
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
      const main = document.querySelector("main");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
  }
  document.body.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr.status;
    notify(status === 403
      ? "You cannot change this: your role in this workspace is read-only."
      : "The server could not handle that (error " + status + "). Nothing was changed; try again.");
  });
  document.body.addEventListener("htmx:sendError", function () {
    notify("The server cannot be reached. Check your connection; nothing was changed.");
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    const box = document.getElementById("htmx-error");
    if (box && event.detail.successful) box.remove();
  });
})();
