// Asks before a form marked data-confirm is sent (e.g. "Revoke all"). The only script the
// dashboard loads; everything works without it.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
