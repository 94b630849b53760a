/* Data entry (docs/data-entry.md): after a failed save, focus the first field in error; a
 * link of the error summary focuses its field; on a radio group a number key picks the
 * option of that value (or, when no option has it, the option in that place). */
(function () {
  "use strict";
  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

  function focusBox(id) {
    var box = document.getElementById(id);
    if (!box) { return false; }
    var input = box.matches(FIELDS) ? box : box.querySelector(FIELDS);
    if (!input) { return false; }
    var checked = box.querySelector("input:checked");
    (checked || input).focus({ preventScroll: true });
    box.scrollIntoView({ block: "center" });
    return true;
  }

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-field]");
      if (link && focusBox(link.getAttribute("href").slice(1))) { event.preventDefault(); }
    });
    var first = summary.querySelector("a[data-field]");
    if (first) { focusBox(first.getAttribute("href").slice(1)); }
  } else {
    var confirm = document.querySelector("[data-testid=confirm-warnings]");
    if (confirm) { confirm.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    var radio = event.target;
    if (!radio.matches || !radio.matches("input[type=radio]") || !/^[0-9]$/.test(event.key)) { return; }
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var group = Array.prototype.slice.call(
      document.querySelectorAll("input[type=radio][name='" + CSS.escape(radio.name) + "']"));
    var option = group.find(function (r) { return r.value === event.key; }) ||
      group[Number(event.key) - 1];
    if (!option || option.disabled) { return; }
    event.preventDefault();
    option.checked = true;
    option.focus();
    option.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
