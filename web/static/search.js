// Progressive enhancement: instant results under the search box. Without JavaScript the form still works.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var box = document.getElementById("instant");
  if (!input || !box || !window.fetch) return;
  var LABELS = { product: "sản phẩm", standard: "tiêu chuẩn", lab: "phòng thí nghiệm" };
  var timer = null, seq = 0;
  function clear() { while (box.firstChild) box.removeChild(box.firstChild); }
  function show(data, mine) {
    if (mine !== seq) return;  // an older answer arriving late
    clear();
    if (!data.hits || !data.hits.length) return;
    var ul = document.createElement("ul");
    data.hits.forEach(function (h) {
      var li = document.createElement("li"), a = document.createElement("a"), k = document.createElement("span");
      a.href = h.url;
      a.textContent = (h.code ? h.code + " – " : "") + (h.title || h.accreditation || "");
      k.className = "kind";
      k.textContent = LABELS[h.kind] || h.kind;
      a.appendChild(k);
      li.appendChild(a);
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { seq++; clear(); return; }
    timer = setTimeout(function () {
      var mine = ++seq;
      fetch(input.getAttribute("data-instant") + "?limit=8&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { hits: [] }; })
        .then(function (d) { show(d, mine); })
        .catch(function () { clear(); });
    }, 180);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { seq++; clear(); }
    if (e.key === "ArrowDown") { var a = box.querySelector("a"); if (a) { e.preventDefault(); a.focus(); } }
  });
  box.addEventListener("keydown", function (e) {
    var links = Array.prototype.slice.call(box.querySelectorAll("a")), i = links.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
    if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? links[i - 1] : input).focus(); }
    if (e.key === "Escape") { seq++; clear(); input.focus(); }
  });
  var pb = document.querySelector(".print-button");
  if (pb) { pb.hidden = false; pb.addEventListener("click", function () { window.print(); }); }
})();
