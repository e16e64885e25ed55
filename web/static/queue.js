// The suggestion queue with JavaScript (web/templates/curate/suggestions.html). Without it the page works
// through the confirmation page; with it: a live count of the selection, select-all per page and per group,
// one confirm() naming the count before a bulk decision, and keyboard shortcuts (j/k, x, a, r).
(function () {
  "use strict";
  var bulk = document.getElementById("bulk");
  var cards = Array.prototype.slice.call(document.querySelectorAll("article.suggestion"));
  var verbs = { approved: "Duyệt", rejected: "Từ chối" };

  document.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });

  function picks(scope) {
    return Array.prototype.slice.call((scope || document).querySelectorAll('input[name="ids"][form="bulk"]'));
  }

  function chosen() { return picks().filter(function (box) { return box.checked; }); }

  function refresh() {
    var n = chosen().length;
    var count = document.getElementById("selected-count");
    if (count) count.textContent = String(n);
    var page = document.getElementById("select-page");
    if (page) page.checked = n > 0 && n === picks().length;
    document.querySelectorAll("[data-select-group]").forEach(function (box) {
      var mine = picks().filter(function (p) { return p.dataset.group === box.dataset.selectGroup; });
      box.checked = mine.length > 0 && mine.every(function (p) { return p.checked; });
    });
    cards.forEach(function (card) {
      var box = card.querySelector('input[name="ids"]');
      card.classList.toggle("is-picked", !!(box && box.checked));
    });
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.id === "select-page") {
      picks().forEach(function (box) { box.checked = t.checked; });
    } else if (t.dataset && t.dataset.selectGroup) {
      picks().forEach(function (box) { if (box.dataset.group === t.dataset.selectGroup) box.checked = t.checked; });
    }
    refresh();
  });

  if (bulk) {
    // One confirmation naming the count, then the decision is posted directly (with each card's version,
    // so a suggestion someone else decided meanwhile is reported, not overwritten).
    bulk.addEventListener("submit", function (e) {
      if (!e.submitter || !verbs[e.submitter.value]) return;  // an old browser: the confirmation page asks
      var status = e.submitter.value;
      var boxes = chosen();
      var note = document.getElementById("bulk-note");
      e.preventDefault();
      if (!boxes.length) { window.alert("Chưa chọn ánh xạ nào."); return; }
      if (status === "rejected" && !note.value.trim()) {
        note.setCustomValidity("Từ chối cần ghi lý do.");
        note.reportValidity();
        note.setCustomValidity("");
        note.focus();
        return;
      }
      if (!window.confirm(verbs[status] + " " + boxes.length + " ánh xạ?")) return;
      var form = document.createElement("form");
      form.method = "post";
      form.action = bulk.dataset.post;
      function field(name, value) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = name; input.value = value;
        form.appendChild(input);
      }
      field("status", status);
      field("note", note.value);
      field("back_to", bulk.querySelector('input[name="back_to"]').value);
      boxes.forEach(function (box) { field("items", box.value + ":" + box.dataset.version); });
      document.body.appendChild(form);
      form.submit();
    });
  }

  // Keyboard: j/k move between cards, x selects, a approves, r rejects (asks for the reason first).
  var current = -1;
  function focusCard(i) {
    if (!cards.length) return;
    current = Math.max(0, Math.min(cards.length - 1, i));
    cards.forEach(function (c, k) { c.classList.toggle("is-current", k === current); });
    cards[current].focus({ preventScroll: true });
    cards[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("focusin", function (e) {
    var i = cards.indexOf(e.target.closest ? e.target.closest("article.suggestion") : null);
    if (i >= 0 && i !== current) {
      current = i;
      cards.forEach(function (c, k) { c.classList.toggle("is-current", k === current); });
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.target.isContentEditable) return;
    var card = cards[current];
    switch (e.key) {
      case "j": focusCard(current + 1); break;
      case "k": focusCard(current - 1); break;
      case "x":
        if (!card) return;
        var box = card.querySelector('input[name="ids"]');
        box.checked = !box.checked;
        refresh();
        break;
      case "a":
        if (!card) return;
        card.querySelector("form.approve-form").requestSubmit();
        break;
      case "r":
        if (!card) return;
        var reason = card.querySelector('form.reject-form input[name="note"]');
        reason.focus();  // Enter in the reason submits the rejection
        break;
      default: return;
    }
    e.preventDefault();
  });
  refresh();
})();
