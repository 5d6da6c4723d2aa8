/* Aduan officer view: small conveniences only; every page works without this file. */
(function () {
  "use strict";
  /* Case page: choosing a reply template fills the reply box at once (without JS: "Pakai templat"). */
  var pick = document.querySelector("select[data-isi-untuk]");
  if (pick) {
    var box = document.getElementById(pick.getAttribute("data-isi-untuk"));
    pick.addEventListener("change", function () {
      var chosen = pick.options[pick.selectedIndex];
      var text = chosen ? chosen.getAttribute("data-isi") : null;
      if (box && text !== null && (!box.value || window.confirm("Ganti isi balasan dengan templat ini?"))) {
        box.value = text;
        box.focus();
      }
    });
  }
})();
