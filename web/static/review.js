// Review of an ingested document or a proposed change: the page beside the form follows the field in focus.
// Without JavaScript the page links (?page=N) do the same with a reload.
(function () {
  "use strict";
  var view = document.getElementById("page-view");
  if (!view) return;
  var img = view.querySelector("img");
  var label = view.querySelector(".page-no");
  function show(n) {
    if (!n || label.textContent === String(n)) return;
    img.src = view.dataset.src.replace("{}", n);
    img.alt = img.alt.replace(/\d+/, n);
    label.textContent = n;
  }
  document.addEventListener("focusin", function (e) {
    var row = e.target.closest("tr[data-page]");
    if (row) show(row.dataset.page);
  });
  document.addEventListener("click", function (e) {
    var link = e.target.closest("a.page-link");
    if (!link) return;
    e.preventDefault();
    show(link.closest("tr[data-page]").dataset.page);
  });
})();
