// Small behaviours that would otherwise be inline handlers (the Content-Security-Policy allows
// scripts from our own origin only).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
