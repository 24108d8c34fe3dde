// Draws every plotly figure whose JSON sits in a <script type="application/json"> block (no inline script).
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll("[data-figure-id]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figureId);
      if (!source || !window.Plotly) { return; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {displaylogo: false, responsive: true});
      el.dataset.drawn = "true";
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
