"""The back office's one way to write times (FORMAT_MODULE_PATH): 12-hour without seconds ("8:00 AM"),
in the shop's zone (ShopTimeZoneMiddleware), wherever Django formats a date, time or datetime — admin
lists, read-only fields and form inputs alike. Django's own "en" formats say "8 a.m." and show inputs
as "08:00:00"."""

DATE_FORMAT = "M j, Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "M j, Y, g:i A"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
# The first is how a time input is filled (admin's clock picker too: its strftime knows %I and %p);
# all are read back.
TIME_INPUT_FORMATS = ["%I:%M %p", "%I:%M%p", "%I %p", "%H:%M", "%H:%M:%S", "%H:%M:%S.%f"]
