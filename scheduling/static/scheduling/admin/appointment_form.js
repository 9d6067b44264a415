"use strict";
// The appointment form's vehicle picker lists only the chosen customer's cars: each autocomplete
// request for the vehicle field carries the customer's id (the server filters on it, and refuses
// another customer's vehicle on save anyway). Choosing another customer clears the vehicle.
// A static file, as the Content-Security-Policy runs no inline script.
{
  const $ = window.django && window.django.jQuery;
  if ($) {
    const customerId = () => $("#id_customer").val() || $("#id_vehicle").data("customer") || "";
    $.ajaxPrefilter((options) => {
      const request = String(options.url || "") + "?" + String(options.data || "");
      if (!request.includes("/autocomplete/") || !/[?&]field_name=vehicle(&|$)/.test(request)) {
        return;
      }
      if (!/[?&]model_name=appointment(&|$)/.test(request)) {
        return;
      }
      const extra = "customer=" + encodeURIComponent(customerId());
      options.data = options.data ? options.data + "&" + extra : extra;
    });
    $(document).on("change", "#id_customer", () => {
      $("#id_vehicle").val(null).trigger("change");
    });
  }
}
