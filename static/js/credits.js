// The spend report answers a bad filter with 400 and the reason in place of the results;
// htmx leaves error answers unswapped by default, so let this one through.
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 400 && event.detail.target.id === "report-results") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
