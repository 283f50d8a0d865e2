// The card form on the payments page: Stripe.js (or localstripe's stand-in) mounts the card
// field, confirms the SetupIntent with Stripe from the browser, and we post only its id.
(function () {
  var form = document.getElementById("card-form");
  if (!form) return;
  var unavailable = document.getElementById("card-unavailable");
  if (typeof window.Stripe !== "function") {
    return; // the "could not load" notice stays
  }
  var stripe = window.Stripe(form.dataset.stripeKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  unavailable.hidden = true;
  var button = document.getElementById("card-submit");
  var errors = document.getElementById("card-errors");
  button.disabled = false;
  form.addEventListener("submit", function (event) {
    if (form.elements.setup_intent.value) return; // confirmed: let the form go
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    stripe
      .confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          errors.textContent = result.error.message || String(result.error);
          button.disabled = false;
          return;
        }
        form.elements.setup_intent.value = result.setupIntent.id;
        form.submit();
      });
  });
})();
