// The periodic task form: picking a crontab shows its plain-English reading under the field, as
// django-celery-beat's inline script did (see templates/admin/djcelery/change_periodictask_form.html).
"use strict";
(function ($) {
  const data = document.getElementById("readable-crontabs");
  if (!data) {
    return;
  }
  const readable = JSON.parse(data.textContent);
  // Django's admin marks the help text ".help"; the admin theme (unfold) renders a plain div under the field.
  let help = $(".field-crontab .help");
  if (!help.length) {
    help = $(".field-crontab .leading-relaxed.text-xs").first().addClass("help");
  }
  const originalHelp = help.text().trim();

  $(".field-crontab_translation").hide();
  $("#id_crontab").on("change", function () {
    const reading = readable[$(this).val()];
    help.text(originalHelp);
    if (reading !== undefined) {
      help.append($("<br>"), document.createTextNode(`Translation: ${reading}`));
    }
  });
})(django.jQuery);
