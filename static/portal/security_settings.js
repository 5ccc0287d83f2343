// Enable stays unavailable until the MFA question has an answer. The server
// checks the same rule; this only saves a round trip.
(function () {
  var answer = document.getElementById("id_mfa_answer");
  var enable = document.getElementById("state-enable");
  var disable = document.getElementById("state-disable");
  if (!answer || !enable) return;
  function sync() {
    enable.disabled = answer.value === "";
    if (enable.disabled && enable.checked) disable.checked = true;
  }
  answer.addEventListener("change", sync);
  sync();
})();
