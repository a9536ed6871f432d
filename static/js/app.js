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
    if (!source) return;
    // The Clipboard API exists only on HTTPS (and localhost); over plain HTTP, or when the
    // browser refuses, the text is selected and the person is told which keys copy it.
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        copy.textContent = "Copied";
        copyHint(copy, "Copied to the clipboard.");
      }, function () { selectForCopy(copy, source); });
    } else {
      selectForCopy(copy, source);
    }
  }
});
function selectForCopy(button, source) {
  var range = document.createRange();
  range.selectNodeContents(source);
  var selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  var mac = /Mac|iPhone|iPad/.test(navigator.platform || "");
  copyHint(button, "The link is selected: press " + (mac ? "\u2318C" : "Ctrl+C") + " to copy it.");
}
function copyHint(button, text) {
  var id = button.getAttribute("data-copy") + "-hint";
  var hint = document.getElementById(id);
  if (!hint) {
    hint = document.createElement("span");
    hint.id = id;
    hint.className = "copy-hint";
    hint.setAttribute("role", "status");
    button.insertAdjacentElement("afterend", hint);
  }
  hint.textContent = text;
}
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
