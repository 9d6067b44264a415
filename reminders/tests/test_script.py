from reminders.script import ReminderFacts, opening, spoken_digits, voicemail, wants_opt_out

FACTS = ReminderFacts(
    appointment_id=42,
    shop_name="Lakeside Auto Service",
    when="Wednesday, March 11 at 10 AM",
    service="oil change",
    callback_number="(312) 555-0100",
    customer_name="Dana Whitfield",
    vehicle="2019 Honda Civic",
)


def test_the_first_sentence_says_who_calls_that_it_is_automated_and_why():
    first = opening(FACTS).split(". ")[0]
    assert first == (
        "Hi, this is the automated assistant for Lakeside Auto Service, calling to remind you about your "
        "oil change appointment on Wednesday, March 11 at 10 AM"
    )
    assert "press 9" in opening(FACTS)


def test_the_voicemail_has_business_time_callback_and_opt_out_but_nothing_private():
    message = voicemail(FACTS)
    assert "Lakeside Auto Service" in message and "Wednesday, March 11 at 10 AM" in message
    assert "3 1 2, 5 5 5, 0 1 0 0" in message
    assert "ask us to stop" in message
    for private in ("Dana", "Civic", "oil change"):
        assert private not in message


def test_a_number_is_spoken_digit_by_digit_without_the_country_code():
    assert spoken_digits("+1 312-555-0100") == "3 1 2, 5 5 5, 0 1 0 0"


def test_it_hears_reasonable_ways_of_asking_not_to_be_called():
    asks = (
        "Stop calling me",
        "please don't call me again",
        "take me off your list",
        "I want to opt out",
        "Do not call this number",
        "no more reminders",
        "Por favor, no me llamen más",
        "no me llame otra vez",
        "dejen de llamarme",
        "quíteme de la lista",
        "¡Alto!",
        "pare",
        "no quiero más llamadas",
    )
    for said in asks:
        assert wants_opt_out(said), said


def test_it_does_not_take_ordinary_answers_for_an_opt_out():
    for said in (
        "yes I'll be there",
        "can you call me back later",
        "don't call me back, I'll call you",
        "cancel it",
        "no me llamen de vuelta, yo les llamo",
        "sí, ahí estaré",
        "el carro está alto",
    ):
        assert not wants_opt_out(said), said


def test_a_spanish_speaker_hears_the_opening_in_spanish():
    facts = ReminderFacts(
        appointment_id=42,
        shop_name="Lakeside Auto Service",
        when="miércoles 11 de marzo a las 10 AM",
        service="oil change",
        callback_number="(312) 555-0100",
        language="es",
    )
    assert opening(facts).startswith(
        "Hola, le habla el asistente automático de Lakeside Auto Service, para recordarle su cita de "
        "oil change el miércoles 11 de marzo a las 10 AM. Esta llamada puede ser grabada."
    )
    assert "marque 9" in opening(facts)
