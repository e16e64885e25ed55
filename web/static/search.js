// Progressive enhancement: instant results under the search box. Without JavaScript the form still works.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var box = document.getElementById("instant");
  if (!input || !box || !window.fetch) return;
  var LABELS = { product: "sản phẩm", standard: "tiêu chuẩn", lab: "phòng thí nghiệm", group: "nhóm sản phẩm" };
  var timer = null, seq = 0;
  function clear() { while (box.firstChild) box.removeChild(box.firstChild); }
  function show(data, mine) {
    if (mine !== seq) return;  // an older answer arriving late
    clear();
    var hits = data.hits || [], near = data.near || [];
    if (!hits.length && !near.length) return;
    var ul = document.createElement("ul");
    hits.forEach(function (h) { ul.appendChild(item(h)); });
    if (near.length) {
      // partial matches are never mixed with answers: below a labelled divider
      var sep = document.createElement("li");
      sep.className = "near-divider";
      sep.setAttribute("role", "separator");
      sep.textContent = hits.length ? "Kết quả gần đúng" : "Chưa có câu trả lời — kết quả gần đúng";
      ul.appendChild(sep);
      near.slice(0, 4).forEach(function (h) { ul.appendChild(item(h, true)); });
    }
    box.appendChild(ul);
  }
  function item(h, isNear) {
    var li = document.createElement("li"), a = document.createElement("a"), k = document.createElement("span");
    if (isNear) li.className = "near";
    a.href = h.url;
    a.textContent = (h.code ? h.code + " – " : "") + (h.title || h.accreditation || "");
    if (isNear && h.why) a.title = h.why;
    k.className = "kind";
    k.textContent = LABELS[h.kind] || h.kind;
    a.appendChild(k);
    li.appendChild(a);
    return li;
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
