// Tiny progressive enhancements; every page works without them.
document.addEventListener("click", function (event) {
  // <button data-reveal="tpl-id">: put the <template id="tpl-id"> form into the page. Password
  // inputs live only in the inert template until asked for, so managers have nothing to fill.
  var reveal = event.target.closest("[data-reveal]");
  if (reveal) {
    var tpl = document.getElementById(reveal.getAttribute("data-reveal"));
    if (tpl) {
      event.preventDefault();
      reveal.replaceWith(tpl.content.cloneNode(true));
    }
    return;
  }
  var copy = event.target.closest("[data-copy]");
  if (copy) {
    var source = document.getElementById(copy.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim());
      copy.textContent = "Copied";
    }
  }
});
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
