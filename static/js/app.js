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
    // Whatever is written here, a page's markup never shows: a row says one line.
    new MutationObserver(function () {
      if (MARKUP.test(status.textContent)) {
        var code = (status.textContent.match(/\b([45]\d\d)\b/) || [])[1];
        status.textContent = serverProblem(code);
      }
    }).observe(status, {childList: true, characterData: true, subtree: true});

    // The row says why it failed; `retry` (when trying again can help) gets a button
    // that sends the same file again in the same row.
    function fail(message, retry) {
      item.classList.add("is-error");
      bar.remove();
      status.textContent = message;
      status.setAttribute("role", "alert");
      if (!retry) { return; }
      var again = document.createElement("button");
      again.type = "button";
      again.className = "button small upload-retry";
      again.textContent = "Retry";
      again.setAttribute("aria-label", "Retry " + file.name);
      again.addEventListener("click", function () {
        var hadFocus = document.activeElement === again;
        again.remove();
        item.classList.remove("is-error");
        status.removeAttribute("role");
        status.textContent = "Waiting…";
        bar.value = 0;
        item.insertBefore(bar, status);
        if (hadFocus) { (item.querySelector("button") || bar).focus(); }
        retry();
      });
      status.after(again);
    }
    return {item: item, bar: bar, status: status, fail: fail};
  };

  var MARKUP = /<\/?[a-z!][^>]*>/i;

  function serverProblem(code) {
    return "Upload failed: the server had a problem" + (code ? " (" + code + ")" : "") + ". Try again.";
  }

  // What a failed upload answer means, in one line. The app refuses a file with a short
  // plain-text reason (4xx), shown as it is; a server error or a proxy's page (often
  // HTML) is never written out, only its status. {message, retry}: retry when trying
  // again can help.
  window.uploadFailure = function (xhr) {
    if (!xhr || xhr.status === 0) {
      return {message: "Upload failed: the connection broke. Try again.", retry: true};
    }
    if (xhr.status === 403) {
      return {message: "Your session expired: reload the page.", retry: false};
    }
    var type = (xhr.getResponseHeader("Content-Type") || "").toLowerCase();
    var text = (xhr.responseText || "").trim();
    var own = xhr.status < 500 && type.indexOf("text/plain") === 0 && text.length > 0 &&
      text.length <= 500 && !MARKUP.test(text);
    if (own) { return {message: text, retry: false}; }
    return {message: serverProblem(xhr.status), retry: true};
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
    // In this order: a field in error comes before the first field of the form.
    var field = root.querySelector(
      ".has-error input:not([type=hidden]), .has-error select, .has-error textarea"
    ) || root.querySelector(
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
    if (closer) {
      // A Cancel link leads back without JavaScript; with it, it just closes.
      if (closer.tagName === "A") { event.preventDefault(); }
      closer.closest("dialog").close();
    }

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

  // A table that scrolls sideways can be scrolled with the keyboard: it becomes a
  // named, focusable region while (and only while) it is wider than its box.
  function markScrollRegions(root) {
    (root || document).querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        var table = box.querySelector("table");
        var section = box.closest("section, figure");
        var heading = section && section.querySelector("h2, h3, figcaption");
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (table && table.getAttribute("aria-label")) ||
          (heading && heading.textContent.trim()) || "Table");
      } else if (box.hasAttribute("tabindex")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  // The team switcher switches as a team is picked with the pointer. Arrow keys step
  // through the teams without leaving the page; Enter or the Switch button then goes.
  var keyedSelect = null;
  document.addEventListener("keydown", function (event) {
    if (event.target.closest && event.target.closest("[data-team-switch] select")) {
      keyedSelect = event.target;
      if (event.key === "Enter") {
        event.preventDefault();
        event.target.form.requestSubmit();
      }
    }
  }, true);
  document.addEventListener("pointerdown", function () { keyedSelect = null; }, true);
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.closest || !select.closest("[data-team-switch]")) { return; }
    if (select !== keyedSelect) { select.form.requestSubmit(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    markScrollRegions();
    // At once, not debounced: a page checked right after it was resized must already
    // offer its scrolling tables to the keyboard (a few tables cost nothing to measure).
    window.addEventListener("resize", function () { markScrollRegions(); });
    document.body.addEventListener("htmx:afterSettle", function () { markScrollRegions(); });
    dismissMessages(document);
    document.body.addEventListener("closeModal", function () {
      document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
    });
    // Messages sent with an HTMX answer (out of band) fade like the others.
    document.body.addEventListener("htmx:oobAfterSwap", function () {
      dismissMessages(document.getElementById("messages"));
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      // A form swapped by its outerHTML has left the page: look for the open dialog.
      var target = event.detail.target;
      var dialog = target.isConnected ? target.closest("dialog[open]") :
        document.querySelector("dialog[open]");
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
  // A Re-run refused (422), repriced (409: the new price rides in the button for the
  // next click) or unreadable (400) answers with the note beside its card: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var code = event.detail.xhr.status;
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (elt && elt.closest && elt.closest("[data-rerun]") && (code === 400 || code === 409 || code === 422)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
