// Count the PIN down and fetch a fresh one when it expires, as long as the
// blade stays open. The PIN text lives only in this page, never in storage.
(function () {
  var countdown = document.getElementById("pin-countdown");
  var form = document.getElementById("pin-refresh");
  if (!countdown || !form) return;
  var deadline = Date.now() + Number(countdown.dataset.seconds) * 1000;
  // A blade left open overnight should not mint PINs (and audit events)
  // until morning: after an hour of fresh PINs it stops and asks.
  var refreshesLeft = 12;

  function show(secondsLeft) {
    var m = Math.floor(secondsLeft / 60);
    var s = secondsLeft % 60;
    countdown.textContent = m + ":" + (s < 10 ? "0" : "") + s;
  }

  function refresh() {
    fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new FormData(form),
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        document.getElementById("pin").textContent = data.pin;
        document.getElementById("pin-expires").textContent =
          data.expires_at.replace("T", " ").slice(0, 19);
        deadline = Date.now() + data.seconds_left * 1000;
        tick();
      })
      .catch(function () {
        countdown.textContent = "expired (reload to generate a new PIN)";
      });
  }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    show(left);
    if (left === 0) {
      if (refreshesLeft-- > 0) {
        refresh();
      } else {
        countdown.textContent = "expired";
        document.getElementById("pin").textContent = "— — — —";
      }
      return;
    }
    setTimeout(tick, 1000);
  }
  tick();
})();
