/* The facility page's map: Leaflet (served from our own origin) with the configured tiles. No inline script;
   the page's address, access text and map links work without it. */
(function () {
  "use strict";
  var element = document.getElementById("facility-map");
  if (!element || typeof window.L === "undefined") { return; }
  var lat = parseFloat(element.dataset.lat);
  var lng = parseFloat(element.dataset.lng);
  if (isNaN(lat) || isNaN(lng)) { return; }
  var map = window.L.map(element, { scrollWheelZoom: false }).setView([lat, lng], 16);
  window.L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.attribution }).addTo(map);
  window.L.marker([lat, lng], { title: element.dataset.name, alt: element.dataset.name }).addTo(map);
  map.attributionControl.setPrefix(false);
})();
