// The studio's videos: a tile previews its video (muted) while hovered; a video's own
// page plays and pauses with the space bar, skips with the arrow keys and goes to the
// project's newer and older video with K and J.
(function () {
  "use strict";

  var SKIP_SECONDS = 5;

  function hoverPlay(event) {
    var video = event.target.closest && event.target.closest("video[data-hover-play]");
    if (!video || !video.paused || video.dataset.previewing) { return; }
    video.dataset.previewing = "1";
    video.muted = true;
    var playing = video.play();
    if (playing && playing.catch) { playing.catch(function () {}); }
  }

  function hoverStop(event) {
    var video = event.target.closest && event.target.closest("video[data-hover-play]");
    if (!video || !video.dataset.previewing) { return; }
    delete video.dataset.previewing;
    video.pause();
  }

  // A click on a previewing video means "watch it": with sound, from where it is.
  function takeOver(event) {
    var video = event.target.closest && event.target.closest("video[data-hover-play]");
    if (video && video.dataset.previewing) {
      delete video.dataset.previewing;
      video.muted = false;
    }
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]");
  }

  function shortcuts(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    var player = document.querySelector("video[data-player]");
    var key = event.key;
    if (key === "j" || key === "k") {
      var link = document.querySelector("[data-shortcut='" + key + "']");
      if (link) { window.location.href = link.href; }
      return;
    }
    if (!player) { return; }
    if (key === " " && event.target.closest("button, a, summary")) { return; }
    if (key === " ") {
      event.preventDefault();
      if (player.paused) { player.play(); } else { player.pause(); }
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      event.preventDefault();
      var step = key === "ArrowLeft" ? -SKIP_SECONDS : SKIP_SECONDS;
      var end = isFinite(player.duration) ? player.duration : player.currentTime + step;
      player.currentTime = Math.max(0, Math.min(end, player.currentTime + step));
    }
  }

  document.addEventListener("pointerover", hoverPlay);
  document.addEventListener("pointerout", hoverStop);
  document.addEventListener("pointerdown", takeOver);
  document.addEventListener("keydown", shortcuts);
})();

// A re-run's new card arrives at the top of the list: it is scrolled into view (the
// note beside the card re-run says what it cost) and marked for a moment.
document.body.addEventListener("videoQueued", function (event) {
  "use strict";
  var card = document.getElementById("generation-" + event.detail.id);
  if (!card) { return; }
  card.classList.add("is-new");
  var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  card.scrollIntoView({behavior: still ? "auto" : "smooth", block: "nearest"});
  window.setTimeout(function () { card.classList.remove("is-new"); }, 4000);
});
