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

// Open times to click: for the chosen service and transport, the next open days' start times from the
// availability engine (GET open-times/), morning and afternoon; a click fills the date and time boxes.
// Typing a time stays possible; the booking service checks it again on save.
// The admin loads this in <head>: wait for the form.
document.addEventListener("DOMContentLoaded", () => {
  const timeInput = document.getElementById("id_local_time");
  const dayInput = document.getElementById("id_local_day");
  if (timeInput && dayInput && timeInput.dataset.openTimes) {
    const panel = document.createElement("div");
    panel.id = "open-times";
    panel.className = "desk-open-times";
    timeInput.parentElement.after(panel);

    const chosen = () => {
      const service = document.getElementById("id_service_type");
      const transport = document.getElementById("id_transport");
      return {
        service: (service && service.value) || timeInput.dataset.service || "",
        transport: (transport && transport.value) || timeInput.dataset.transport || "",
      };
    };

    const button = (slot) => {
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "desk-slot";
      pick.textContent = slot.time;
      pick.dataset.date = slot.date;
      pick.addEventListener("click", () => {
        dayInput.value = slot.date;
        timeInput.value = slot.time;
        panel.querySelectorAll(".desk-slot.chosen").forEach((b) => b.classList.remove("chosen"));
        pick.classList.add("chosen");
      });
      return pick;
    };

    const show = (answer) => {
      panel.replaceChildren();
      const head = document.createElement("p");
      head.className = "desk-muted";
      if (answer.error) {
        head.textContent = answer.error;
        panel.append(head);
        return;
      }
      const service = answer.service;
      head.textContent = `${service.name}: ${service.duration_minutes} min, ${service.price}. Open times:`;
      panel.append(head);
      if (!answer.days.length) {
        const none = document.createElement("p");
        none.textContent = "No open times in the booking horizon.";
        panel.append(none);
      }
      for (const day of answer.days) {
        const row = document.createElement("div");
        row.className = "desk-open-day";
        const label = document.createElement("strong");
        label.textContent = day.label;
        row.append(label);
        for (const part of ["morning", "afternoon"]) {
          if (!day[part].length) continue;
          const group = document.createElement("span");
          group.className = "desk-open-part";
          group.dataset.part = part;
          day[part].forEach((slot) => group.append(button(slot)));
          row.append(group);
        }
        panel.append(row);
      }
    };

    let latest = 0; // answers can arrive out of order: only the last request's is shown
    const load = () => {
      const asked = ++latest;
      const { service, transport } = chosen();
      const query = new URLSearchParams({ service, transport });
      const answer = (result) => {
        if (asked === latest) show(result);
      };
      fetch(`${timeInput.dataset.openTimes}?${query}`, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { error: "Open times could not be loaded." }))
        .then(answer)
        .catch(() => answer({ error: "Open times could not be loaded." }));
    };

    for (const id of ["id_service_type", "id_transport"]) {
      const field = document.getElementById(id);
      if (field && window.django && window.django.jQuery) {
        window.django.jQuery(field).on("change", load); // native changes and select2's alike
      } else if (field) {
        field.addEventListener("change", load);
      }
    }
    load();
  }
});
