"""What the caller's words say about being recorded, decided in code (voice.recordings.consent)."""

import pytest

from voice.recordings.consent import agrees_to_recording, declines_recording, objects_to_recording


@pytest.mark.parametrize(
    "text",
    [
        "Please don't record this call.",
        "I do not want to be recorded",
        "Stop recording, please",
        "Can you turn off the recording?",
        "I don't consent to being recorded",
        "no recording please",
        "No me grabe, por favor",
        "No quiero que me graben",
        "Deje de grabar",
        "No recording.",
        "Don't record me",
        "please stop recording this call",
    ],
)
def test_an_objection_is_heard(text):
    assert objects_to_recording(text)
    assert declines_recording(text) and not agrees_to_recording(text)


@pytest.mark.parametrize(
    "text",
    [
        "I need an oil change",
        "My car makes a noise when I brake",
        "Did you record my mileage last time?",
        "No problem, I need new tires",
        "Hi, you guys have no record of my oil change from March?",
        "There's no records for my truck?",
        "No recording of the estimate was sent to me",
        "I had no recorder in the car",
    ],
)
def test_ordinary_words_are_not_an_objection(text):
    assert not objects_to_recording(text)


@pytest.mark.parametrize(
    "text",
    [
        "Yes",
        "yeah, that's fine",
        "Sure. I need an oil change.",
        "Okay",
        "Sí, está bien",
        # The Spanish question ("¿está bien?") is answered as Spanish speakers say yes.
        "No hay problema",
        "No hay ningún problema, necesito un cambio de aceite",
        "No me importa",
        "Por supuesto",
    ],
)
def test_a_clear_yes_agrees(text):
    assert agrees_to_recording(text)


@pytest.mark.parametrize(
    "text", ["No", "Nope.", "no, I'd rather not", "Not okay", "Yes, but don't record me"]
)
def test_a_no_declines(text):
    assert declines_recording(text) and not agrees_to_recording(text)


@pytest.mark.parametrize("text", ["I need an oil change", "Hello?", "What are your hours?"])
def test_going_straight_to_the_question_is_no_yes(text):
    assert not agrees_to_recording(text) and not declines_recording(text)
