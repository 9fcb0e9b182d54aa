// Small behaviours shared by every page. htmx does the rest.
// Loaded without defer, in <head>: the class below must be set before the
// header is drawn, so a phone shows the folded menu from the first frame.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // One upload's row (name, progress bar, status), for the library's uploads and the
  // composer's inline ones alike; each adds what only it needs.
  window.uploadRow = function (file) {
    var item = document.createElement("li");
    item.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + file.name);
    var status = document.createElement("span");
    status.className = "upload-status";
    item.append(name, bar, status);
    return {item: item, bar: bar, status: status};
  };

  // Messages fade after a while; errors stay until read.
  function dismissMessages(root) {
    root.querySelectorAll(".message:not(.message-error):not(.fade)").forEach(function (el) {
      setTimeout(function () { el.classList.add("fade"); }, 6000);
    });
  }

  // The first field of a form that arrives in a dialog (or the first one in
  // error when it comes back), so the keyboard starts where the work is.
  function focusFirstField(root) {
    var field = root.querySelector(
      ".has-error input:not([type=hidden]), .has-error select, .has-error textarea, " +
      "[autofocus], input:not([type=hidden]):not([disabled]), select, textarea"
    );
    if (field) { field.focus(); }
  }

  function closeMenus(except) {
    document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
      if (menu !== except) { menu.open = false; }
    });
  }

  function setPhoneMenu(header, open) {
    header.classList.toggle("is-open", open);
    header.querySelector("[data-menu-toggle]").setAttribute("aria-expanded", String(open));
  }

  document.addEventListener("click", function (event) {
    // <dialog> modals: a button with data-dialog="#id" opens one; the
    // closeModal event (sent by the server with HX-Trigger) closes them all.
    var opener = event.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.querySelector(opener.getAttribute("data-dialog"));
      if (dialog) { dialog.showModal(); }
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) { closer.closest("dialog").close(); }

    var toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      var header = toggle.closest(".topbar");
      setPhoneMenu(header, !header.classList.contains("is-open"));
    }
    // A click anywhere else closes the user menu, as menus do.
    closeMenus(event.target.closest("details.usermenu"));
  });

  // Escape closes the user menu and the phone menu, and gives focus back to
  // what opened it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var menu = document.querySelector("details.usermenu[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
      return;
    }
    var header = document.querySelector(".topbar.is-open");
    if (header) {
      setPhoneMenu(header, false);
      header.querySelector("[data-menu-toggle]").focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    dismissMessages(document);
    document.body.addEventListener("closeModal", function () {
      document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
    });
    // Messages sent with an HTMX answer (out of band) fade like the others.
    document.body.addEventListener("htmx:oobAfterSwap", function () {
      dismissMessages(document.getElementById("messages"));
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var dialog = event.detail.target.closest("dialog[open]");
      if (dialog) { focusFirstField(dialog); }
    });
  });
  // A limit reached (429) answers with the part of the page that says when to try
  // again, like a refused form (422): show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
