/* The project page: when a video finishes, a count in the title while the tab is hidden,
   and a browser notification if the user allowed them (asked after their first Generate). */
(function () {
  "use strict";

  var FINISHED = { success: "is done", fail: "failed" };
  var ASKED_KEY = "kinovi-notifications-asked";
  var baseTitle = document.title;
  var unseen = 0;

  function announce(card) {
    var status = card.dataset.status;
    if (!FINISHED[status]) { return; }
    var name = (card.id || "").replace("generation-", "Video ");
    if (document.hidden) {
      unseen += 1;
      document.title = "(" + unseen + ") " + baseTitle;
    }
    if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
      new Notification(name + " " + FINISHED[status], { tag: card.id });
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      unseen = 0;
      document.title = baseTitle;
    }
  });

  function watch() {
    var list = document.getElementById("generation-list");
    if (!list) { return; }
    var seen = new WeakMap();
    list.querySelectorAll("[data-testid=generation-card]").forEach(function (card) {
      seen.set(card, card.dataset.status);
    });
    new MutationObserver(function () {
      list.querySelectorAll("[data-testid=generation-card]").forEach(function (card) {
        var before = seen.get(card);
        var now = card.dataset.status;
        if (before !== undefined && before !== now) { announce(card); }
        seen.set(card, now);
      });
    }).observe(list, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
  }

  // Ask once, after the user's first Generate: not on arrival, when it means nothing yet.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (!form || form.id !== "composer" || !event.detail.successful) { return; }
    if (!("Notification" in window) || Notification.permission !== "default") { return; }
    if (window.localStorage.getItem(ASKED_KEY)) { return; }
    window.localStorage.setItem(ASKED_KEY, "1");
    Notification.requestPermission();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watch);
  } else {
    watch();
  }
})();
