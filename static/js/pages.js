// Page behaviours (tabs, busy buttons, the role/companies box). Every page works without them.
(function () {
  // --- Tabs: [data-tabs] holds a role=tablist of #links and the .tab-panel they name. All
  // panels are in the page; this shows the one the address's #anchor points into (a tab, or
  // anything inside one, like #psa-connectwise after a test), else the first.
  function panelFor(box, hash) {
    if (!hash || hash.length < 2) return null;
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    return target && box.contains(target) ? target.closest(".tab-panel") : null;
  }
  function show(box, panel) {
    box.querySelectorAll(".tab-panel").forEach(function (p) { p.hidden = p !== panel; });
    box.querySelectorAll('[role="tab"]').forEach(function (tab) {
      var on = tab.getAttribute("aria-controls") === panel.id;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
    });
  }
  document.querySelectorAll("[data-tabs]").forEach(function (box) {
    var panels = box.querySelectorAll(".tab-panel");
    if (!panels.length) return;
    var fromHash = panelFor(box, window.location.hash);
    show(box, fromHash || panels[0]);
    box.classList.add("tabs-ready");
    if (fromHash) {
      var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
      if (target && target !== fromHash) target.scrollIntoView();
    }
    box.addEventListener("click", function (event) {
      var tab = event.target.closest('[role="tab"]');
      if (!tab || !box.contains(tab)) return;
      var panel = document.getElementById(tab.getAttribute("aria-controls"));
      if (!panel) return;
      event.preventDefault();
      show(box, panel);
      history.replaceState(null, "", "#" + panel.id);  // Back/Reload come back to this tab
    });
    box.addEventListener("keydown", function (event) {  // arrow keys move between tabs
      var tab = event.target.closest('[role="tab"]');
      if (!tab || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) return;
      var tabs = Array.prototype.slice.call(box.querySelectorAll('[role="tab"]'));
      var next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      next.focus();
      next.click();
    });
  });
  window.addEventListener("hashchange", function () {
    document.querySelectorAll("[data-tabs]").forEach(function (box) {
      var panel = panelFor(box, window.location.hash);
      if (panel) show(box, panel);
    });
  });

  // --- Busy buttons: <form data-busy="Testing…"> disables its submit button and says so while
  // the slow request runs (a REST test takes seconds), so nobody clicks twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var label = form.getAttribute("data-busy");
    if (!label || event.defaultPrevented) return;
    var button = form.querySelector("button[type=submit], button:not([type])");
    if (!button || button.disabled) return;
    button.setAttribute("data-idle-label", button.textContent);
    button.textContent = label;
    button.classList.add("busy");
    button.setAttribute("aria-busy", "true");
    // Disabled after the submit has been handed over, so the form still sends.
    setTimeout(function () { button.disabled = true; }, 0);
  });
  window.addEventListener("pageshow", function () {  // Back from the result: ready again
    document.querySelectorAll("button.busy").forEach(function (button) {
      button.disabled = false;
      button.classList.remove("busy");
      button.removeAttribute("aria-busy");
      button.textContent = button.getAttribute("data-idle-label") || button.textContent;
    });
  });

  // --- The companies box on the user form is greyed out while the role is Account admin.
  document.querySelectorAll("[data-muted-for-role]").forEach(function (box) {
    var form = box.closest("form");
    if (!form) return;
    function follow() {
      var role = form.querySelector("input[name=role]:checked");
      var muted = !!role && role.value === box.getAttribute("data-muted-for-role");
      box.classList.toggle("is-muted", muted);
      var fieldset = box.querySelector("fieldset");
      if (fieldset) fieldset.disabled = muted;
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "role") follow();
    });
    follow();
  });
})();
