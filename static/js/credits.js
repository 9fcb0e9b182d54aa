// A form or filter that answers a bad input with 400 and the reason in place (the spend
// report's results, the adjust dialog): htmx leaves error answers unswapped by default,
// so let these through.
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  var inPlace = target.id === "report-results" || target.hasAttribute("data-swap-errors");
  if (event.detail.xhr.status === 400 && inPlace) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
