// Small behaviours shared by every page. htmx does the rest.
(function () {
  "use strict";

  // Messages fade after a while; errors stay until read.
  function dismissMessages(root) {
    root.querySelectorAll(".message:not(.message-error)").forEach(function (el) {
      setTimeout(function () { el.classList.add("fade"); }, 6000);
    });
  }

  // <dialog> modals: a button with data-dialog="#id" opens one; the
  // closeModal event (sent by the server with HX-Trigger) closes them all.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.querySelector(opener.getAttribute("data-dialog"));
      if (dialog) { dialog.showModal(); }
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) { closer.closest("dialog").close(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    dismissMessages(document);
    document.body.addEventListener("closeModal", function () {
      document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
    });
  });
})();
