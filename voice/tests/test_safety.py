"""The safety backstop's phrases: English and Spanish ways of saying a car is unsafe to drive."""

import pytest

from voice.safety import unsafe_car_phrase


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My brakes are failing.", "brakes failing"),
        ("The brake pedal went to the floor this morning", "brakes failing"),
        ("I've got no brakes at all", "brakes failing"),
        ("There's smoke coming out from under the hood", "smoke or fire"),
        ("I think the engine caught fire", "smoke or fire"),
        ("it keeps overheating on the highway", "overheating"),
        ("I lost steering on the way home", "steering loss"),
        ("the steering locked up on me", "steering loss"),
        ("After the accident the airbag light stays on", "airbag light after a crash"),
        ("the air bag light came on since my crash", "airbag light after a crash"),
        ("There's a strong gas smell in the cabin", "fuel smell"),
        ("it smells like fuel when I park", "fuel smell"),
        ("Los frenos están fallando", "frenos fallando"),
        ("El carro no frena bien", "frenos fallando"),
        ("Sale humo del motor", "humo o fuego"),
        ("el motor se está sobrecalentando", "sobrecalentamiento"),
        ("la dirección no responde", "pérdida de dirección"),
        ("después del choque se prendió la luz de la bolsa de aire", "bolsa de aire tras un choque"),
        ("hay olor a gasolina dentro del carro", "olor a gasolina"),
    ],
)
def test_it_recognises_an_unsafe_car(text, kind):
    assert unsafe_car_phrase(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "I need an oil change next Tuesday.",
        "Can you rotate my tires?",
        "There's no smoke or anything, it just makes a noise.",
        "It's not overheating, the AC is weak.",
        "I don't smell gas, but the check engine light is on.",
        "Necesito un cambio de aceite.",
        "My airbag light is on.",  # no crash: a warning light is booked as a diagnostic
    ],
)
def test_ordinary_calls_and_plain_negations_are_not_flagged(text):
    assert unsafe_car_phrase(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "My brakes are grinding, can someone look at it this week?",
        "The brakes squeak a bit",
        "I had my brakes checked out",
    ],
)
def test_worn_brakes_are_not_an_emergency(text):
    assert unsafe_car_phrase(text) is None
