/* The ePRO visual analogue scale: tap or drag on the line to choose 0.0-10.0.
 *
 * Without JavaScript the patient types the number (the input is the form's own field);
 * with it the line appears with no mark until the patient touches it, and the chosen
 * value is written into, and shown by, the same input. Typing moves the mark. */
(function () {
  "use strict";
  function setup(box) {
    var line = box.querySelector("[data-vas-line]");
    var mark = box.querySelector("[data-vas-mark]");
    var input = box.querySelector("input");
    if (!line || !mark || !input) { return; }
    line.hidden = false;
    function show(value) {
      if (isNaN(value) || value < 0 || value > 10) { mark.hidden = true; return; }
      mark.hidden = false;
      mark.style.left = (value * 10) + "%";
    }
    function choose(event) {
      var rect = line.getBoundingClientRect();
      var share = Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1);
      var value = Math.round(share * 100) / 10;
      input.value = value.toFixed(1);
      show(value);
    }
    var dragging = false;
    line.addEventListener("pointerdown", function (event) {
      dragging = true;
      if (line.setPointerCapture) { line.setPointerCapture(event.pointerId); }
      choose(event);
      event.preventDefault();
    });
    line.addEventListener("pointermove", function (event) { if (dragging) { choose(event); } });
    line.addEventListener("pointerup", function () { dragging = false; });
    line.addEventListener("pointercancel", function () { dragging = false; });
    input.addEventListener("input", function () {
      show(input.value === "" ? NaN : parseFloat(input.value));
    });
    if (input.value !== "") { show(parseFloat(input.value)); }
  }
  var boxes = document.querySelectorAll("[data-vas]");
  for (var i = 0; i < boxes.length; i += 1) { setup(boxes[i]); }
}());
