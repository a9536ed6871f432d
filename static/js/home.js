// Home: the unposted counts come from the PSA, which may take seconds, so the page is shown
// first and asks for them after. Without this script the cells say "Counting…" and "See Sync".
(function () {
  var table = document.getElementById("home-companies");
  if (!table) return;
  var note = document.getElementById("unposted-note");
  function setText(cell, text, muted) {
    cell.textContent = "";
    var span = document.createElement("span");
    if (muted) span.className = "muted";
    span.textContent = text;
    cell.appendChild(span);
  }
  function setProblems(cell, problems) {
    cell.textContent = "";
    if (!problems.length) { setText(cell, "None", true); return; }
    var list = document.createElement("ul");
    list.className = "checklist";
    problems.forEach(function (p) { var li = document.createElement("li"); li.textContent = p; list.appendChild(li); });
    cell.appendChild(list);
  }
  var recount = document.getElementById("recount");
  function count(fresh) {
    var url = table.getAttribute("data-unposted-url") + (fresh ? "?fresh=1" : "");
    table.setAttribute("data-counted", "no");
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        table.querySelectorAll("tr[data-company]").forEach(function (row) {
          var found = data.companies[row.getAttribute("data-company")];
          var cell = row.querySelector("[data-field=unposted]");
          if (!found) { setText(cell, "—", true); return; }
          setText(cell, found.text, found.total === null);
          setProblems(row.querySelector("[data-field=problems]"), found.problems);
        });
        table.setAttribute("data-counted", "yes");
        var when = new Date(data.counted_at * 1000);
        note.textContent = (data.error ? "Could not count the unposted records: " + data.error + " "
                                        : "") + "Counted at " + when.toLocaleTimeString() + ".";
      })
      .catch(function (error) {
        table.querySelectorAll("[data-field=unposted]").forEach(function (cell) { setText(cell, "—", true); });
        table.setAttribute("data-counted", "failed");
        note.textContent = "Could not count the unposted records (" + error.message + "); the Sync page shows them.";
      })
      .then(function () { if (recount) recount.hidden = false; });
  }
  if (recount) recount.addEventListener("click", function () { recount.hidden = true; count(true); });
  count(false);
})();
