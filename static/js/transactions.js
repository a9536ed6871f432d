// Follows a sync on /sync/runs/<id>: polls the same URL as JSON until it finishes, then reloads
// to show every record with its link. (sync.js follows pulls, whose counts have totals per kind.)
(function () {
  var box = document.getElementById("sync-run");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  function set(name, text) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) el.textContent = text;
  }
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        set("status", data.status);
        var bar = box.querySelector('[data-field="percent"]');
        if (bar) bar.value = data.percent || 0;
        Object.keys(data.counts || {}).forEach(function (key) {
          var el = box.querySelector('[data-count="' + key + '"]');
          if (el) el.textContent = (data.counts[key] || 0).toLocaleString();
        });
        set("message", data.message || "");
        set("fix", data.fix ? "Fix: " + data.fix : "");
        if (data.status === "queued" || data.status === "running") {
          setTimeout(poll, 1000);
        } else if (box.getAttribute("data-status") !== data.status) {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  var status = box.getAttribute("data-status");
  if (status === "queued" || status === "running") setTimeout(poll, 700);
})();
