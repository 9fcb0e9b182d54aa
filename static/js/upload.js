// Reference uploads: drag and drop or file picker, one XHR per file so each
// gets its own progress bar and its own message. Without JS the plain form posts.
(function () {
  "use strict";

  var DONE_ROW_SECONDS = 4;

  function setup(section) {
    var form = section.querySelector("form");
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-dropzone]");
    var list = section.querySelector("[data-upload-list]");
    var url = section.getAttribute("data-upload-url");
    var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

    // The drop zone is a real button: focusable, Enter/Space open the picker.
    zone.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      sendAll(input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("is-over");
      });
    });
    zone.addEventListener("drop", function (event) { sendAll(event.dataTransfer.files); });
    // Shown only once it works; the plain input and button serve until then.
    input.classList.add("visually-hidden");
    input.tabIndex = -1;
    form.querySelector("[data-upload-submit]").hidden = true;
    zone.hidden = false;

    function sendAll(files) {
      Array.prototype.forEach.call(files, upload);
    }

    function upload(file) {
      var row = window.uploadRow(file);
      var item = row.item;
      item.setAttribute("data-testid", "upload-item");
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "upload-dismiss";
      dismiss.textContent = "×";
      dismiss.setAttribute("aria-label", "Dismiss " + file.name);
      dismiss.addEventListener("click", function () { remove(item); });
      item.append(dismiss);
      list.prepend(item);
      send(file, row);
    }

    function send(file, row) {
      var item = row.item, bar = row.bar, status = row.status;
      status.textContent = "Waiting…";
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          var percent = Math.round((event.loaded / event.total) * 100);
          bar.value = percent;
          status.textContent = percent < 100 ? percent + "%" : "Checking…";
        }
      });
      xhr.addEventListener("load", function () {
        var card = (xhr.status === 201 || xhr.status === 200) ? cardOf(xhr.responseText) : null;
        if (card) {
          bar.value = 100;
          item.classList.add("is-done");
          status.textContent = xhr.status === 201 ? "Uploaded" : "Already in your library";
          addCard(card);
          // A finished row has said what it had to: it fades, its card stays.
          setTimeout(function () { fade(item); }, DONE_ROW_SECONDS * 1000);
        } else {
          failed(xhr);
        }
      });
      xhr.addEventListener("error", function () { failed(null); });
      var data = new FormData();
      data.append("file", file);
      xhr.send(data);

      function failed(answer) {
        var why = window.uploadFailure(answer);
        row.fail(why.message, why.retry && function () { send(file, row); });
      }
    }

    // Errors stay until dismissed; the list never pushes the grid down for long.
    function fade(item) {
      if (!item.isConnected || item.contains(document.activeElement)) { return; }
      item.classList.add("fade");
      setTimeout(function () { remove(item); }, 700);
    }

    function remove(item) {
      var next = item.nextElementSibling || item.previousElementSibling;
      var hadFocus = item.contains(document.activeElement);
      item.remove();
      if (hadFocus) {
        (next ? next.querySelector(".upload-dismiss") : zone).focus();
      }
    }

    // The new card of the app's own answer: one list item with an asset's id, else null.
    function cardOf(html) {
      var template = document.createElement("template");
      template.innerHTML = html.trim();
      var card = template.content.firstElementChild;
      return card && /^asset-\d+$/.test(card.id) ? card : null;
    }

    function addCard(card) {
      var grid = document.getElementById(section.getAttribute("data-grid"));
      if (!grid) { return; }
      var existing = document.getElementById(card.id);
      if (existing) { existing.remove(); }
      grid.prepend(card);
      var empty = document.querySelector("[data-testid=assets-empty]");
      if (empty) { empty.remove(); }
      if (window.htmx) { window.htmx.process(card); }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-upload]").forEach(setup);
  });
})();

// Character image picker: checked images move to the front in the order they
// were checked, so the form posts them in that order (@image1 first).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type !== "checkbox" || !box.closest(".image-picker")) { return; }
    var item = box.closest("li");
    var list = item.parentElement;
    var checked = Array.prototype.filter.call(list.children, function (li) {
      return li !== item && li.querySelector("input[type=checkbox]").checked;
    });
    var after = checked.length ? checked[checked.length - 1].nextSibling : list.firstChild;
    list.insertBefore(item, after);
    box.focus();
  });
})();

// Chosen images in their order: moved by drag, or one place at a time with the ← →
// buttons (the keyboard's way), the new place said to screen readers.
(function () {
  "use strict";
  function chosen(list) {
    return Array.prototype.filter.call(list.children, function (li) {
      return li.querySelector("input[type=checkbox]").checked;
    });
  }

  function announce(list, item) {
    var status = list.parentElement.querySelector("[data-reorder-status]");
    var order = chosen(list);
    if (status) {
      status.textContent = item.querySelector("input[type=checkbox]").getAttribute("aria-label") +
        ": image " + (order.indexOf(item) + 1) + " of " + order.length + ".";
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-reorder-list] [data-move]");
    if (!button) { return; }
    var item = button.closest("li");
    var list = item.parentElement;
    var order = chosen(list);
    var index = order.indexOf(item) + Number(button.getAttribute("data-move"));
    if (index < 0 || index >= order.length) { return; }
    var other = order[index];
    list.insertBefore(item, index < order.indexOf(item) ? other : other.nextSibling);
    button.focus();
    announce(list, item);
  });

  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("[data-reorder-list] > li");
    if (!item || !item.querySelector("input[type=checkbox]").checked) { return; }
    dragged = item;
    item.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "");
  });
  document.addEventListener("dragover", function (event) {
    var over = dragged && event.target.closest && event.target.closest("[data-reorder-list] > li");
    if (over && over.parentElement === dragged.parentElement &&
        over.querySelector("input[type=checkbox]").checked) {
      event.preventDefault();
    }
  });
  document.addEventListener("drop", function (event) {
    var over = dragged && event.target.closest && event.target.closest("[data-reorder-list] > li");
    if (!over || over === dragged || over.parentElement !== dragged.parentElement) { return; }
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientX > box.left + box.width / 2;
    over.parentElement.insertBefore(dragged, after ? over.nextSibling : over);
    announce(over.parentElement, dragged);
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("is-dragging"); }
    dragged = null;
  });
})();
