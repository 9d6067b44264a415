from reminders.services.plan import _join


def test_a_reason_handed_down_twice_is_said_once():
    why = "No calling-window time is left before the appointment."

    assert _join(why, "Texting instead.", why) == f"{why} Texting instead."
