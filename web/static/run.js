// Live status of an ingest run (curate/run.html): while the run works, ask /api/ingest-runs/{id} and
// update the counts, the elapsed time and each file's row in place; once it stops, load the page once
// more so that the server draws the final state (links, the re-run form). Without JavaScript a
// <noscript> meta refresh does the same job.
(function () {
  "use strict";
  var root = document.getElementById("run-status");
  if (!root || root.dataset.state !== "running") return;
  var url = "/api/ingest-runs/" + encodeURIComponent(root.dataset.run);
  var POLL_MS = 1500;

  function text(el, value) {
    if (el) el.textContent = value == null ? "" : String(value);
  }

  function row(file) {
    var tr = document.createElement("tr");
    tr.className = "file-" + file.state;
    var cells = [file.name, file.state_label, null, file.message || ""];
    cells.forEach(function (value, i) {
      var td = document.createElement("td");
      if (i === 2) {
        if (file.link) {
          var a = document.createElement("a");
          a.href = file.link;
          a.textContent = file.produced;
          td.appendChild(a);
        } else if (file.produced) {
          td.textContent = file.produced;
        }
        if (file.pages) td.appendChild(document.createTextNode(" (" + file.pages + " trang)"));
      } else {
        td.textContent = value;
      }
      tr.appendChild(td);
    });
    return tr;
  }

  function update(run) {
    text(document.getElementById("run-state"), run.state_label);
    text(document.getElementById("run-elapsed"), run.elapsed_label);
    Object.keys(run.counts).forEach(function (key) {
      text(root.querySelector('[data-count="' + key + '"]'), run.counts[key]);
    });
    var body = root.querySelector("#files tbody");
    if (body && run.files.length) {
      var rows = document.createDocumentFragment();
      run.files.forEach(function (f) { rows.appendChild(row(f)); });
      body.replaceChildren(rows);
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (run) {
        update(run);
        if (run.state === "running") {
          window.setTimeout(poll, POLL_MS);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 3); });
  }

  window.setTimeout(poll, POLL_MS);
})();
