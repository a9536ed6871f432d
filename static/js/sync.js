// Follows a pull on /integrations/sync/<id>: polls the same URL as JSON until it finishes,
// then reloads once so the finished page (Retry, links) is the server's own.
(function () {
  var box = document.getElementById("sync-run");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var counts = box.querySelector('[data-field="counts"]');
  function set(name, text) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) el.textContent = text;
  }
  function showKinds(kinds) {
    (kinds || []).forEach(function (kind) {  // [key, done, total]; a kind appears once its total is known
      var dd = counts.querySelector('[data-count="' + kind[0] + '"]');
      if (!dd) {
        var dt = document.createElement("dt");
        dt.textContent = kind[0].charAt(0).toUpperCase() + kind[0].slice(1);
        dd = document.createElement("dd");
        dd.setAttribute("data-count", kind[0]);
        counts.appendChild(dt);
        counts.appendChild(dd);
      }
      dd.textContent = kind[1].toLocaleString("en") + " of " + kind[2].toLocaleString("en");
    });
  }
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        set("status", data.status);
        set("state", data.state || "");
        var bar = box.querySelector('[data-field="percent"]');
        if (bar) bar.value = data.percent || 0;
        showKinds(data.kinds);
        if (data.status === "queued" || data.status === "running") {
          setTimeout(poll, 1000);
        } else if (box.getAttribute("data-status") !== data.status) {
          window.location.reload();  // the finished page, with its result, Retry and links
        }
      })
      .catch(function () {
        set("state", "Lost contact with Wise-Sync; trying again…");
        setTimeout(poll, 5000);
      });
  }
  if (box.getAttribute("data-status") === "queued" || box.getAttribute("data-status") === "running") {
    setTimeout(poll, 500);
  }
})();
