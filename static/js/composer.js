// The composer: its reference list (add, reorder, remove, upload), the @ menu of
// the prompt, and the picker dialog. The server checks everything again (the live
// check and the submit); this script enforces the seed's counts and lengths as the
// user adds, so a reference that can't be sent is never shown as if it could.
//
// The @ menu is GitHub's <text-expander> (static/vendor, MIT): it follows the ARIA
// combobox pattern (role=combobox on the textarea, aria-activedescendant, arrow
// keys, Enter/Tab to choose, Escape to close) and places the menu at the caret, all
// of which a hand-written menu would have to redo. We only provide the options.
(function () {
  "use strict";

  var KIND_ORDER = ["image", "video", "audio"];
  var NOUNS = {image: "images", video: "videos", audio: "audio files"};

  function setup(form) {
    var config = JSON.parse(document.getElementById("composer-config").textContent);
    // The chosen model's choices and limits (config.models, one per model offered).
    function spec() {
      var chosen = form.querySelector("input[name=model]:checked");
      var models = Object.keys(config.models);
      return config.models[chosen && config.models[chosen.value] ? chosen.value : models[0]] || {
        limits: {image: 0, video: 0, audio: 0}, resolutions: [], durations: [4, 4],
        videoMinSeconds: 0, videoMaxSeconds: 0, videoTotalMaxSeconds: 0, audioTotalMaxSeconds: 0,
      };
    }
    var list = document.getElementById("composer-references");
    var rowTemplate = document.getElementById("reference-row-template");
    var notice = form.querySelector("[data-composer-notice]");
    var counts = form.querySelector("[data-reference-counts]");
    var empty = form.querySelector("[data-reference-empty]");
    var picker = document.getElementById("picker");
    var pickerForm = picker.querySelector("form");
    var expander = form.querySelector("text-expander");
    var textarea = form.querySelector("textarea[name=prompt]");
    var dragged = null;

    // Rows are the references in order; items are what moves: a row, or a character's
    // group of rows (one item, its images together, expandable).
    function rows() { return Array.prototype.slice.call(list.querySelectorAll(".reference")); }
    function items() { return Array.prototype.slice.call(list.children); }
    var groupTemplate = document.getElementById("reference-group-template");
    function dataOf(row) { return JSON.parse(row.getAttribute("data-reference")); }
    function current() { return rows().map(dataOf); }

    function changed() {
      renumber();
      form.dispatchEvent(new CustomEvent("composer:changed", {bubbles: true}));
    }

    function say(message) {
      notice.textContent = message;
    }

    // Tokens count images, videos and audio separately, in list order.
    function renumber() {
      var seen = {image: 0, video: 0, audio: 0};
      rows().forEach(function (row) {
        var data = dataOf(row);
        seen[data.kind] += 1;
        row.querySelector(".token").textContent = "@" + data.kind + seen[data.kind];
      });
      items().forEach(function (item, index) {
        var label = labelOf(item);
        if (item.classList.contains("reference-group")) {
          var tokens = Array.prototype.map.call(item.querySelectorAll(".reference .token"), function (t) { return t.textContent; });
          item.querySelector(".group-tokens").textContent = tokens.length > 2 ?
            tokens[0] + "–" + tokens[tokens.length - 1] : tokens.join(", ");
        }
        var own = item.querySelector(":scope > .reference-actions, :scope > .reference-group-head > .reference-actions");
        own.querySelector("[data-move='-1']").setAttribute("aria-label", "Move " + label + " up");
        own.querySelector("[data-move='1']").setAttribute("aria-label", "Move " + label + " down");
        own.querySelector("[data-remove]").setAttribute("aria-label", "Remove " + label);
        own.querySelector("[data-move='-1']").disabled = index === 0;
        own.querySelector("[data-move='1']").disabled = index === list.children.length - 1;
      });
      counts.textContent = KIND_ORDER.map(function (kind) {
        return seen[kind] + "/" + spec().limits[kind] + " " + NOUNS[kind];
      }).join(" · ");
      empty.hidden = list.children.length > 0;
    }

    // Why `additions` can't join the references already there, or "".
    function refusal(additions) {
      var all = current().concat(additions);
      var values = current().map(function (ref) { return ref.value; });
      for (var i = 0; i < additions.length; i++) {
        if (values.indexOf(additions[i].value) !== -1) {
          return "“" + additions[i].name + "” is already a reference.";
        }
      }
      var model = spec();
      for (var k = 0; k < KIND_ORDER.length; k++) {
        var kind = KIND_ORDER[k];
        var count = all.filter(function (ref) { return ref.kind === kind; }).length;
        if (count > model.limits[kind]) {
          return model.label + " takes at most " + model.limits[kind] + " " + NOUNS[kind] + ".";
        }
      }
      var videoTotal = 0;
      var audioTotal = 0;
      for (var j = 0; j < all.length; j++) {
        var seconds = all[j].duration || 0;
        if (all[j].kind === "video") {
          if (seconds > model.videoMaxSeconds) {
            return "“" + all[j].name + "” is " + seconds.toFixed(1) + " s long; " + model.label + " takes reference videos of at most " + model.videoMaxSeconds + " s.";
          }
          if (all[j].duration && seconds < model.videoMinSeconds) {
            return "“" + all[j].name + "” is " + seconds.toFixed(1) + " s long; " + model.label + " takes reference videos of at least " + model.videoMinSeconds + " s.";
          }
          videoTotal += seconds;
        } else if (all[j].kind === "audio") {
          audioTotal += seconds;
        }
      }
      if (videoTotal > model.videoTotalMaxSeconds) {
        return "The reference videos would last " + videoTotal.toFixed(1) + " s together; " + model.label + " takes at most " + model.videoTotalMaxSeconds + " s.";
      }
      if (audioTotal > model.audioTotalMaxSeconds) {
        return "The audio would last " + audioTotal.toFixed(1) + " s together; " + model.label + " takes at most " + model.audioTotalMaxSeconds + " s.";
      }
      return "";
    }

    function makeRow(data) {
      var row = rowTemplate.content.firstElementChild.cloneNode(true);
      row.setAttribute("data-reference", JSON.stringify(data));
      row.querySelector("input[name=references]").value = data.value;
      var image = row.querySelector("img");
      if (data.thumb) { image.src = data.thumb; } else { image.remove(); }
      row.querySelector(".ref-thumb").classList.add("ref-thumb-" + data.kind);
      row.querySelector(".ref-icon").textContent = data.thumb ? "" : (data.kind === "audio" ? "♪" : "▶");
      var handle = row.querySelector(".handle");
      if (data.handle) { handle.textContent = "@" + data.handle; } else { handle.remove(); }
      row.querySelector(".reference-name").textContent = data.name;
      var meta = [data.format];
      if (data.duration) { meta.push(data.duration.toFixed(1) + " s"); }
      row.querySelector(".reference-meta").textContent = meta.filter(Boolean).join(" · ");
      return row;
    }

    // Adds all of `additions` (a character's images come together) or none.
    // How an item is named: "@image2 portrait.png", or "@mira (@image1–@image3)".
    function labelOf(item) {
      if (item.classList.contains("reference-group")) {
        return "@" + item.getAttribute("data-handle") + " (" + item.querySelector(".group-tokens").textContent + ")";
      }
      return item.querySelector(".token").textContent + " " + dataOf(item).name;
    }

    function groupFor(data) {
      var last = list.lastElementChild;
      if (last && last.classList.contains("reference-group") && last.getAttribute("data-value") === data.value.split(":")[1]) {
        return last;
      }
      var group = groupTemplate.content.firstElementChild.cloneNode(true);
      group.setAttribute("data-handle", data.handle);
      group.setAttribute("data-value", data.value.split(":")[1]);
      group.querySelector(".handle").textContent = "@" + data.handle;
      list.appendChild(group);
      return group;
    }

    function append(data) {
      var row = makeRow(data);
      if (!data.handle) {
        list.appendChild(row);
        return;
      }
      // A character's image: no controls of its own, its group moves it.
      row.removeAttribute("draggable");
      row.querySelector(".reference-actions").remove();
      row.querySelector(".drag-handle").remove();
      var group = groupFor(data);
      group.querySelector(".reference-group-list").appendChild(row);
      var thumbs = group.querySelector(".group-thumbs");
      if (data.thumb && thumbs.children.length < 4) {
        var image = document.createElement("img");
        image.src = data.thumb;
        image.alt = "";
        image.width = image.height = 32;
        thumbs.appendChild(image);
      }
      var count = group.querySelectorAll(".reference").length;
      group.querySelector(".group-count").textContent = count + " image" + (count === 1 ? "" : "s");
    }

    function add(additions, quiet) {
      var why = refusal(additions);
      if (why) {
        say(why);
        return false;
      }
      additions.forEach(append);
      say("");
      if (!quiet) { changed(); }
      return true;
    }

    list.addEventListener("click", function (event) {
      var toggle = event.target.closest(".group-toggle");
      if (toggle) {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        toggle.closest(".reference-group").querySelector(".reference-group-list").hidden = !open;
        return;
      }
      var row = event.target.closest("#composer-references > li");
      if (!row) { return; }
      var mover = event.target.closest("[data-move]");
      if (mover) {
        var step = Number(mover.getAttribute("data-move"));
        var sibling = step < 0 ? row.previousElementSibling : row.nextElementSibling;
        if (!sibling) { return; }
        list.insertBefore(row, step < 0 ? sibling : sibling.nextElementSibling);
        changed();
        announce(row);
        var again = row.querySelector("[data-move='" + step + "']");
        (again.disabled ? row.querySelector("[data-move='" + -step + "']") : again).focus();
      }
      if (event.target.closest("[data-remove]")) {
        var next = row.nextElementSibling || row.previousElementSibling;
        var name = row.classList.contains("reference-group") ? "@" + row.getAttribute("data-handle") : dataOf(row).name;
        row.remove();
        changed();
        say("Removed “" + name + "”.");
        if (next) { next.querySelector("[data-remove]").focus(); } else { textarea.focus(); }
      }
    });

    // A moved reference says where it is now, to screen readers too.
    function announce(row) {
      var position = items().indexOf(row) + 1;
      var message = "Moved " + labelOf(row) + ": now " + position + " of " + items().length + ".";
      form.querySelector("[data-composer-status]").textContent = message;
    }

    // Drag to reorder (the keyboard has the ↑ ↓ buttons).
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("#composer-references > li");
      if (!dragged) { return; }
      dragged.classList.add("is-dragged");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", labelOf(dragged));
    });
    list.addEventListener("dragover", function (event) {
      var over = event.target.closest("#composer-references > li");
      if (!dragged || !over || over === dragged) { return; }
      event.preventDefault();
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextElementSibling : over);
    });
    list.addEventListener("dragend", function () {
      if (!dragged) { return; }
      dragged.classList.remove("is-dragged");
      var moved = dragged;
      dragged = null;
      changed();
      announce(moved);
    });

    // The picker dialog: its results load when it first opens.
    form.querySelector("[data-open-picker]").addEventListener("click", function () {
      picker.showModal();
      htmx.trigger(pickerForm, "picker:open");
    });
    // A tile of the picker adds its references, or removes them when they are all
    // there already; a tile that can't be added says why, and the picker stays open.
    var pickerNotice = picker.querySelector("[data-picker-notice]");
    function valuesOf(pick) {
      return JSON.parse(pick.getAttribute("data-refs")).map(function (ref) { return ref.value; });
    }
    function isAdded(pick) {
      var values = current().map(function (ref) { return ref.value; });
      return valuesOf(pick).every(function (value) { return values.indexOf(value) !== -1; });
    }
    function markPicks() {
      picker.querySelectorAll("[data-refs]").forEach(function (pick) {
        var added = isAdded(pick);
        pick.classList.toggle("is-added", added);
        pick.setAttribute("aria-pressed", added ? "true" : "false");
      });
    }
    function remove(values) {
      rows().forEach(function (row) {
        if (values.indexOf(dataOf(row).value) !== -1) { row.remove(); }
      });
      list.querySelectorAll(".reference-group").forEach(function (group) {
        if (!group.querySelector(".reference")) { group.remove(); }
      });
      changed();
    }
    picker.addEventListener("click", function (event) {
      var pick = event.target.closest("[data-refs]");
      if (!pick) { return; }
      var name = pick.querySelector(".pick-name").textContent.trim();
      picker.querySelectorAll(".pick.is-refused").forEach(function (p) { p.classList.remove("is-refused"); });
      if (isAdded(pick)) {
        remove(valuesOf(pick));
        pickerNotice.textContent = "Removed “" + name + "”.";
        say("");
      } else if (add(JSON.parse(pick.getAttribute("data-refs")))) {
        pickerNotice.textContent = "Added “" + name + "”.";
      } else {
        pick.classList.add("is-refused");
        pickerNotice.textContent = "“" + name + "” can't be added: " + notice.textContent;
      }
      markPicks();
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (picker.contains(event.detail.target) || event.detail.target.id === "picker-results") { markPicks(); }
    });
    picker.addEventListener("close", function () { pickerNotice.textContent = ""; });

    // Inline upload through the library's upload endpoint (same checks, same
    // library); the new file then comes back from the picker as a reference.
    var uploadInput = form.querySelector("[data-composer-upload]");
    var uploads = form.querySelector("[data-composer-uploads]");
    uploadInput.addEventListener("change", function () {
      Array.prototype.forEach.call(uploadInput.files, upload);
      uploadInput.value = "";
    });

    function upload(file) {
      var row = window.uploadRow(file);
      uploads.prepend(row.item);
      send(file, row);
    }

    // One line on failure, as the library says it (window.uploadFailure), with a Retry
    // that sends the same file again in the same row when trying again can help.
    function send(file, row) {
      var item = row.item, bar = row.bar, status = row.status;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-upload-url"));
      xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { bar.value = Math.round((event.loaded / event.total) * 100); }
      });
      xhr.addEventListener("load", function () {
        var id = (xhr.responseText.match(/id="asset-(\d+)"/) || [])[1];
        if ((xhr.status === 200 || xhr.status === 201) && id) {
          fetchReference(id, item, status);
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

    function fetchReference(id, item, status) {
      var url = form.getAttribute("data-picker-url") + "?asset=" + encodeURIComponent(id);
      fetch(url, {headers: {"HX-Request": "true"}, credentials: "same-origin"})
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var box = document.createElement("template");
          box.innerHTML = html;
          var pick = box.content.querySelector("[data-refs]");
          item.querySelector("progress").remove();
          if (!pick) { return fail(item, status, "Uploaded, but it can't be found in your library."); }
          if (add(JSON.parse(pick.getAttribute("data-refs")))) {
            item.classList.add("is-done");
            status.textContent = "Added";
          } else {
            fail(item, status, "Uploaded to your library, not added: " + notice.textContent);
          }
        });
    }

    function fail(item, status, message) {
      item.classList.add("is-error");
      var bar = item.querySelector("progress");
      if (bar) { bar.remove(); }
      status.textContent = message;
      status.setAttribute("role", "alert");
    }

    // The team's and the user's characters, asked of the picker (its character
    // results carry their images as references) when the prompt gets focus: every
    // keystroke then filters the same list, so menus never arrive out of order.
    var characterList = null;
    function characters() {
      if (!characterList) { characterList = fetchCharacters(); }
      return characterList;
    }

    function fetchCharacters() {
      var url = form.getAttribute("data-picker-url") + "?kind=character";
      return fetch(url, {headers: {"HX-Request": "true"}, credentials: "same-origin"})
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var box = document.createElement("template");
          box.innerHTML = html;
          knownCharacters = Array.prototype.map.call(
            box.content.querySelectorAll("[data-handle]"),
            function (pick) { return pick.getAttribute("data-handle").toLowerCase(); }
          );
          return Array.prototype.map.call(
            box.content.querySelectorAll("[data-handle]"),
            function (pick) {
              return {
                handle: pick.getAttribute("data-handle"),
                name: pick.getAttribute("data-name"),
                refs: JSON.parse(pick.getAttribute("data-refs")),
              };
            }
          );
        });
    }

    // The @ menu: the references by token, then the characters by handle.
    function options(text, found) {
      var query = text.toLowerCase();
      var offered = [];
      var seen = {image: 0, video: 0, audio: 0};
      current().forEach(function (ref) {
        seen[ref.kind] += 1;
        var token = ref.kind + seen[ref.kind];
        if (token.indexOf(query) === 0) {
          offered.push({value: "@" + token, label: ref.name, refs: null});
        }
      });
      var handles = {};
      current().forEach(function (ref) { if (ref.handle) { handles[ref.handle] = true; } });
      found.forEach(function (character) {
        if (character.handle.indexOf(query) === 0 || character.name.toLowerCase().indexOf(query) === 0) {
          offered.push({
            value: "@" + character.handle,
            label: character.name + (handles[character.handle] ? "" : " (adds its images)"),
            refs: handles[character.handle] ? null : character.refs,
          });
        }
      });
      // The handle typed out in full comes first: @mira2 is offered before @mira.
      offered.sort(function (a, b) {
        return (b.value === "@" + query) - (a.value === "@" + query);
      });
      return offered;
    }

    function menuOf(offered) {
      var menu = document.createElement("ul");
      menu.className = "mention-menu";
      menu.setAttribute("role", "listbox");
      menu.setAttribute("aria-label", "References and characters");
      offered.forEach(function (option) {
        var item = document.createElement("li");
        item.setAttribute("role", "option");
        item.setAttribute("data-value", option.value);
        if (option.refs) { item.setAttribute("data-refs", JSON.stringify(option.refs)); }
        var code = document.createElement("code");
        code.textContent = option.value;
        var label = document.createElement("span");
        label.className = "muted small";
        label.textContent = " " + option.label;
        item.append(code, label);
        menu.appendChild(item);
      });
      return {matched: offered.length > 0, fragment: menu};
    }

    if (expander) {
      expander.addEventListener("text-expander-change", function (event) {
        if (event.detail.key !== "@") { return; }
        var text = event.detail.text;
        event.detail.provide(characters().then(function (found) {
          return menuOf(options(text, found));
        }, function () {
          return menuOf(options(text, []));
        }));
      });
      expander.addEventListener("text-expander-activate", function () {
        window.requestAnimationFrame(keepMenuInside);
      });
      // The vendored combobox leaves the list past its last (or first) option, which
      // makes Enter type a newline: there the arrow keys stay where they are.
      textarea.addEventListener("keydown", function (event) {
        var menu = expander.querySelector(".mention-menu");
        if (!menu || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) { return; }
        var items = menu.querySelectorAll("[role=option]");
        var selected = menu.querySelector("[aria-selected=true]");
        var edge = items[event.key === "ArrowDown" ? items.length - 1 : 0];
        if (selected && selected === edge) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      }, true);
      textarea.addEventListener("focus", function () { characters(); });
      // Asked again next time: characters may have been made meanwhile.
      textarea.addEventListener("blur", function () { characterList = null; });
      expander.addEventListener("text-expander-value", function (event) {
        var item = event.detail.item;
        event.detail.value = item.getAttribute("data-value");
        if (item.hasAttribute("data-refs")) { add(JSON.parse(item.getAttribute("data-refs"))); }
      });
      expander.addEventListener("text-expander-committed", function () {
        textarea.dispatchEvent(new Event("input", {bubbles: true}));
      });
    }

    // The menu opens at the caret: moved left and up as needed to stay inside the
    // composer and the screen (it would run off a phone, or over the videos).
    function keepMenuInside() {
      var menu = expander.querySelector(".mention-menu");
      if (!menu) { return; }
      var bounds = form.getBoundingClientRect();
      var right = Math.min(bounds.right, document.documentElement.clientWidth) - 4;
      var box = menu.getBoundingClientRect();
      var left = parseFloat(getComputedStyle(menu).left) || 0;
      if (box.right > right) {
        menu.style.left = Math.max(left - (box.right - right), left - (box.left - bounds.left)) + "px";
      }
      box = menu.getBoundingClientRect();
      if (box.bottom > window.innerHeight) {
        var top = parseFloat(getComputedStyle(menu).top) || 0;
        var caretLine = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
        menu.style.top = (top - box.height - caretLine) + "px";
      }
    }

    // A window narrowed (or a phone turned) while the menu is open moves it back inside.
    window.addEventListener("resize", function () {
      window.requestAnimationFrame(keepMenuInside);
    });

    // A mention still being typed (the caret right after "@th") isn't checked yet:
    // the live check gets the prompt without it, unless it is a whole token or handle.
    var knownCharacters = [];
    function mentionAtCaret() {
      var before = textarea.value.slice(0, textarea.selectionEnd);
      var after = textarea.value.slice(textarea.selectionEnd);
      var typed = before.match(/(^|[^\w@])@([\w-]*)$/);
      if (!typed || /^[\w-]/.test(after) || document.activeElement !== textarea) { return null; }
      var word = typed[2].toLowerCase();
      var seen = {image: 0, video: 0, audio: 0};
      var whole = current().some(function (ref) {
        seen[ref.kind] += 1;
        return word === ref.kind + seen[ref.kind] || (ref.handle && word === ref.handle.toLowerCase());
      }) || knownCharacters.indexOf(word) !== -1;
      return whole ? null : {start: before.length - word.length - 1, end: before.length};
    }
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (!event.detail.elt.matches("[hx-post$='/compose/check/']")) { return; }
      var typing = mentionAtCaret();
      if (!typing) { return; }
      var value = textarea.value;
      var prompt = value.slice(0, typing.start) + value.slice(typing.end);
      if (event.detail.parameters instanceof FormData) {
        event.detail.parameters.set("prompt", prompt);
      } else {
        event.detail.parameters.prompt = prompt;
      }
    });

    // The model decides the resolutions, lengths and limits offered: a change of model
    // offers its own (keeping the choices it also has), and the 4K upscale only where
    // the model has it, from 720p.
    var resolution = form.elements.resolution;
    var duration = form.elements.duration;
    var upscale = form.elements.upscale_4k;
    var upscaleField = form.querySelector("[data-upscale-field]");
    var limitsText = form.querySelector("[data-model-limits]");
    function fillSelect(select, options, wanted, fallback) {
      var values = options.map(function (option) { return String(option[0]); });
      var keep = values.indexOf(String(wanted)) !== -1 ? String(wanted) : String(fallback);
      select.replaceChildren.apply(select, options.map(function (option) {
        var element = document.createElement("option");
        element.value = String(option[0]);
        element.textContent = option[1];
        element.selected = element.value === keep;
        return element;
      }));
    }
    function offerUpscale() {
      var model = spec();
      var offered = !!model.upscale4k && resolution.value === model.upscaleFrom;
      upscaleField.hidden = !offered;
      upscale.disabled = !offered;
      if (!offered) { upscale.checked = false; }
    }
    function offerModel() {
      var model = spec();
      var resolutions = model.resolutions;
      var values = resolutions.map(function (option) { return option[0]; });
      var fallback = values.indexOf(config.defaultResolution) !== -1 ? config.defaultResolution : model.defaultResolution;
      fillSelect(resolution, resolutions, resolution.value, fallback);
      var lengths = [];
      for (var seconds = model.durations[0]; seconds <= model.durations[1]; seconds++) {
        lengths.push([seconds, seconds + " s"]);
      }
      fillSelect(duration, lengths, duration.value, model.defaultDuration);
      if (limitsText) { limitsText.textContent = model.limitsText; }
      offerUpscale();
      renumber();
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "model") { offerModel(); }
      if (event.target === resolution) { offerUpscale(); }
    });

    // "Reuse this seed" (a card's button, or ?seed= from a video's page) fills the seed.
    var seedField = form.elements.seed;
    function useSeed(seed) {
      seedField.value = seed;
      seedField.dispatchEvent(new Event("change", {bubbles: true}));
      say("Seed " + seed + " is in the composer: the next video uses it.");
    }
    document.body.addEventListener("click", function (event) {
      var button = event.target.closest("[data-reuse-seed]");
      if (!button) { return; }
      useSeed(button.getAttribute("data-reuse-seed"));
      seedField.focus();
    });

    // Continue from the last frame: the server added it to the library.
    document.body.addEventListener("composerAdd", function (event) {
      if (add(event.detail.references)) {
        form.scrollIntoView({behavior: "smooth", block: "start"});
      }
    });

    // A composer nobody has touched yet lists what is missing as things to do, not in
    // red: the first edit turns them into errors.
    ["input", "change", "composer:changed"].forEach(function (type) {
      form.addEventListener(type, function () { form.classList.add("is-edited"); });
    });

    // The checks are swapped whole; a steady live region reads their summary once.
    var status = form.querySelector("[data-composer-status]");
    // Focus inside the checks (the Generate button, after a submit) would fall back to
    // the page with them: it moves to what the new checks say instead.
    var checksHadFocus = false;
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.target.id !== "composer-checks") { return; }
      checksHadFocus = event.detail.target.contains(document.activeElement);
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target.id !== "composer-checks") { return; }
      var checks = document.getElementById("composer-checks");
      var summary = checks ? checks.getAttribute("data-summary") : "";
      if (summary && status.textContent !== summary) { status.textContent = summary; }
      if (checks && checksHadFocus) {
        checksHadFocus = false;
        var submitted = document.querySelector("#composer-submitted [data-testid=composer-submitted]");
        var submit = checks.querySelector("[data-testid=composer-submit]");
        var why = checks.querySelector("[data-testid=composer-errors], [data-testid=composer-blocked]");
        (submitted || (blocked(submit) ? why : submit) || submit).focus();
      }
    });

    // Generate stays focusable while it can't be used (aria-disabled), so the
    // reasons it names (aria-describedby) are reached and read; it sends nothing.
    function blocked(submit) { return submit && submit.getAttribute("aria-disabled") === "true"; }
    form.addEventListener("htmx:confirm", function (event) {
      if (event.detail.elt === form && blocked(form.querySelector("[data-testid=composer-submit]"))) {
        event.preventDefault();
        var why = form.querySelector("[data-testid=composer-errors]") || document.getElementById("composer-blocked");
        if (why) { why.focus(); }
      }
    });

    // "Video 12 queued" is said once; when that video is done, the message goes.
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var message = document.querySelector("#composer-submitted [data-video]");
      if (!message) { return; }
      var card = document.getElementById("generation-" + message.getAttribute("data-video"));
      var status = card && card.getAttribute("data-status");
      if (status === "success" || status === "fail") {
        message.remove();
      }
    });

    // A refused submit (422) still shows the checks that say why.
    // So does a submit whose price changed since the check (409: the new price, to
    // confirm with one click) or whose model or price can't be used (400).
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var code = event.detail.xhr.status;
      var composer = event.detail.target && event.detail.target.id === "composer-checks";
      if (code === 422 || (composer && (code === 409 || code === 400))) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target.id !== "composer-checks") { return; }
      var changedPrice = document.querySelector("[data-testid=quote-changed]");
      if (changedPrice) { changedPrice.focus(); }
    });

    // On a desktop the composer stays beside the videos and scrolls on its own; it
    // is as tall as the part of the screen it has, so its footer (price, Generate)
    // is always in view. On a phone the footer sticks to the bottom of the screen.
    var panel = document.getElementById("composer-panel");
    var GAP = 16;
    function fitPanel() {
      if (getComputedStyle(panel).position !== "sticky") {
        panel.style.maxHeight = "";
        return;
      }
      var top = Math.max(panel.parentElement.getBoundingClientRect().top, GAP);
      panel.style.maxHeight = (window.innerHeight - top - GAP) + "px";
    }
    var fitting = false;
    function fitSoon() {
      if (fitting) { return; }
      fitting = true;
      window.requestAnimationFrame(function () { fitting = false; fitPanel(); });
    }
    window.addEventListener("scroll", fitSoon, {passive: true});
    window.addEventListener("resize", fitSoon);
    // Laid out anew (a new screen size, a longer page): measured after the layout.
    if (window.ResizeObserver) { new ResizeObserver(fitSoon).observe(document.body); }
    fitPanel();

    // The unsent draft of this project, kept in this browser (localStorage): it comes
    // back when the user returns, until they clear it. Kept in the browser, not on the
    // server: it is saved as the user types, costs no request, and is theirs alone.
    var draftKey = form.getAttribute("data-draft-key");
    var draftNote = document.querySelector("[data-draft-note]");
    var FIELDS = ["model", "resolution", "duration", "aspect_ratio", "seed"];
    var BOXES = ["upscale_4k", "generate_audio", "high_bitrate"];
    function saveDraft() {
      var draft = {prompt: textarea.value, references: current()};
      BOXES.forEach(function (name) { draft[name] = form.elements[name].checked; });
      FIELDS.forEach(function (name) { draft[name] = form.elements[name].value; });
      try { window.localStorage.setItem(draftKey, JSON.stringify(draft)); } catch (error) { /* full or off */ }
    }
    function storedDraft() {
      try { return JSON.parse(window.localStorage.getItem(draftKey) || "null"); } catch (error) { return null; }
    }
    function restoreDraft(draft) {
      // The model first: it decides which resolutions and lengths there are.
      if (draft.model && config.models[draft.model]) { form.elements.model.value = draft.model; }
      offerModel();
      FIELDS.forEach(function (name) {
        var field = form.elements[name];
        if (field && name !== "model" && typeof draft[name] === "string") { field.value = draft[name]; }
      });
      if (!resolution.value || !duration.value) { offerModel(); }
      BOXES.forEach(function (name) {
        if (typeof draft[name] === "boolean") { form.elements[name].checked = draft[name]; }
      });
      offerUpscale();
      textarea.value = draft.prompt || "";
      (draft.references || []).forEach(function (data) { add([data], true); });
      draftNote.textContent = "Your unsent draft is back. Clear starts again from the project's defaults.";
      form.dispatchEvent(new CustomEvent("composer:changed", {bubbles: true}));
    }
    ["input", "change", "composer:changed"].forEach(function (type) {
      form.addEventListener(type, saveDraft);
    });
    document.querySelector("[data-clear-draft]").addEventListener("click", function () {
      try { window.localStorage.removeItem(draftKey); } catch (error) { /* nothing kept */ }
      window.location.assign(window.location.pathname);
    });

    var draft = form.hasAttribute("data-draft-restore") ? storedDraft() : null;
    if (draft) {
      restoreDraft(draft);
    } else {
      var initial = JSON.parse(document.getElementById("composer-initial-references").textContent);
      initial.forEach(function (data) { add([data], true); });
    }
    var linkedSeed = new URLSearchParams(window.location.search).get("seed");
    if (linkedSeed && /^\d{1,10}$/.test(linkedSeed)) { useSeed(linkedSeed); }
    offerUpscale();
    renumber();
  }

  // Set up before htmx processes the page (a deferred script runs before
  // DOMContentLoaded), so the check it sends on load sees a restored draft.
  function start() {
    var form = document.getElementById("composer");
    if (form) { setup(form); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
