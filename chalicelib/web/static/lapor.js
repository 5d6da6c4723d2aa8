/* Progressive enhancement for the public pages: every page works without this file.
 * - "Bagikan lokasi saya" fills the hidden latitude/longitude fields of the complaint form.
 * - "Salin nomor" copies the tracking number on the receipt page. */
(function () {
  "use strict";

  function byId(id) {
    return document.getElementById(id);
  }

  function setupLocation() {
    var button = byId("bagikan-lokasi");
    var latitude = byId("latitude");
    var longitude = byId("longitude");
    var status = byId("lokasi-status");
    if (!button || !latitude || !longitude || !status || !("geolocation" in navigator)) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = "Mencari lokasi Anda\u2026";
      navigator.geolocation.getCurrentPosition(
        function (position) {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          status.textContent = "Lokasi terlampir (ketelitian \u00b1" + Math.round(position.coords.accuracy) + " m).";
          button.textContent = "Perbarui lokasi saya";
          button.disabled = false;
        },
        function () {
          status.textContent = "Lokasi tidak dapat dibaca. Izinkan akses lokasi, atau tulis lokasi di kolom Lokasi.";
          button.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  function setupCopy() {
    var button = byId("salin-nomor");
    var status = byId("salin-status");
    if (!button || !status || !navigator.clipboard || !window.isSecureContext) {
      return;
    }
    var source = byId(button.getAttribute("data-salin"));
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () {
          status.textContent = "Nomor laporan tersalin.";
        },
        function () {
          status.textContent = "Gagal menyalin; salin nomor secara manual.";
        }
      );
    });
  }

  function start() {
    setupLocation();
    setupCopy();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
