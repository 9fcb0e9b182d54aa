/* Review pages: keys on the review board, seeking from comments, compare in sync. */
(function () {
  "use strict";

  // At 24 fps a frame lasts 1/24 s: players further apart than half of one are re-synced.
  var SYNC_TOLERANCE = 1 / 48;

  function typing(event) {
    var target = event.target;
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  function tiles() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-take]"));
  }

  function focusTile(index) {
    var all = tiles();
    if (!all.length) { return; }
    var tile = all[Math.max(0, Math.min(index, all.length - 1))];
    all.forEach(function (other) { other.setAttribute("tabindex", other === tile ? "0" : "-1"); });
    tile.focus();
  }

  function currentIndex() {
    var active = document.activeElement && document.activeElement.closest("[data-take]");
    return active ? tiles().indexOf(active) : -1;
  }

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-take-grid]") || typing(event)) { return; }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key.toLowerCase();
    if (key === "j" || key === "k") {
      event.preventDefault();
      var index = currentIndex();
      focusTile(index < 0 ? 0 : index + (key === "j" ? 1 : -1));
      return;
    }
    var tile = document.activeElement && document.activeElement.closest("[data-take]");
    var button = tile && tile.querySelector('button[data-key="' + key + '"]');
    if (button) {
      event.preventDefault();
      button.click();
    }
  });

  // A refused comment (422) answers with the comments panel saying why: htmx leaves error
  // answers unswapped by default, so let this one through.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 422 && target && target.id === "review-comments") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A tile replaced by its verdict's answer keeps the focus, so 1/2/3 then J goes on.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.elt;
    if (target && target.id && target.id.indexOf("take-") === 0) {
      var tile = document.getElementById(target.id);
      if (tile) { tile.setAttribute("tabindex", "0"); tile.focus(); }
    }
  });

  function updateCompareButton() {
    var button = document.querySelector("[data-compare-submit]");
    if (!button) { return; }
    var ticked = document.querySelectorAll("[data-compare-pick]:checked").length;
    button.disabled = ticked < 2 || ticked > 4;
    button.textContent = ticked ? "Compare " + ticked : "Compare";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-compare-pick]")) { updateCompareButton(); }
  });

  function playerFor(element) {
    var scope = element.closest("section, .client-take, .review-video") || document;
    return scope.querySelector("[data-review-player]") || document.querySelector("[data-review-player]");
  }

  document.addEventListener("click", function (event) {
    var seek = event.target.closest && event.target.closest("[data-seek]");
    if (seek) {
      var player = playerFor(seek);
      if (player) {
        player.pause();
        player.currentTime = parseFloat(seek.dataset.seek);
        player.focus();
      }
      return;
    }
    var use = event.target.closest && event.target.closest("[data-use-current-time]");
    if (use) {
      var form = use.closest("form");
      var video = playerFor(form);
      var input = form.querySelector('input[name="at_seconds"]');
      if (video && input) { input.value = (Math.round(video.currentTime * 10) / 10).toFixed(1); }
    }
  });

  function setUpCompare(root) {
    var videos = Array.prototype.slice.call(root.querySelectorAll("[data-compare-video]"));
    var play = root.querySelector("[data-compare-play]");
    var scrub = root.querySelector("[data-compare-scrub]");
    var shown = root.querySelector("[data-compare-time]");
    if (!videos.length || !play || !scrub) { return; }
    var leader = videos[0];
    var scrubbing = false;

    function longest() {
      return videos.reduce(function (most, video) {
        return Math.max(most, isFinite(video.duration) ? video.duration : 0);
      }, 0);
    }

    function resync() {
      var time = leader.currentTime;
      videos.forEach(function (video) {
        if (video === leader) { return; }
        var target = Math.min(time, isFinite(video.duration) ? video.duration : time);
        if (Math.abs(video.currentTime - target) > SYNC_TOLERANCE) { video.currentTime = target; }
      });
      var total = longest();
      if (!scrubbing && total) { scrub.value = String(Math.round((time / total) * 1000)); }
      if (shown) { shown.textContent = time.toFixed(1) + " s"; }
    }

    function tick() {
      resync();
      if (!leader.paused) { window.requestAnimationFrame(tick); }
    }

    function setPlaying(playing) {
      play.textContent = playing ? "Pause" : "Play";
      play.setAttribute("aria-pressed", playing ? "true" : "false");
    }

    play.addEventListener("click", function () {
      if (leader.paused) {
        resync();
        Promise.all(videos.map(function (video) { return video.play(); })).then(function () {
          setPlaying(true);
          window.requestAnimationFrame(tick);
        }).catch(function () { setPlaying(false); });
      } else {
        videos.forEach(function (video) { video.pause(); });
        setPlaying(false);
        resync();
      }
    });

    scrub.addEventListener("input", function () {
      scrubbing = true;
      var time = (parseInt(scrub.value, 10) / 1000) * longest();
      leader.currentTime = time;
      resync();
      scrubbing = false;
    });

    leader.addEventListener("ended", function () {
      videos.forEach(function (video) { video.pause(); });
      setPlaying(false);
    });
    leader.addEventListener("seeked", resync);
    root.compareVideos = videos;
  }

  function start() {
    updateCompareButton();
    var compare = document.querySelector("[data-compare]");
    if (compare) { setUpCompare(compare); }
    if (document.querySelector("[data-take-grid]") && tiles().length) {
      tiles()[0].setAttribute("tabindex", "0");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
