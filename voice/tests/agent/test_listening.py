import pytest

from voice.agent.listening import is_backchannel, wants_escalation


@pytest.mark.parametrize(
    "text", ["yeah", "Uh-huh.", "mm-hmm", "okay sure", "right, got it", "Sí, claro.", "ajá", "bueno"]
)
def test_it_recognises_backchannels(text):
    assert is_backchannel(text)


@pytest.mark.parametrize(
    "text",
    ["", "wait", "no that's wrong", "yeah but can I do Tuesday instead", "sí, pero el martes no puedo"],
)
def test_it_treats_real_speech_as_speech(text):
    assert not is_backchannel(text)


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a manager",
        "This is unacceptable",
        "I'll call my lawyer",
        "can I speak to someone real",
        "get me a real person",
        "quiero hablar con una persona",
        "páseme con el gerente",
        "esto es inaceptable",
    ],
)
def test_it_spots_callers_who_need_a_person(text):
    assert wants_escalation(text)


def test_it_does_not_escalate_ordinary_requests():
    assert not wants_escalation("I need an oil change on Tuesday, and maybe a tire rotation")
    assert not wants_escalation("Necesito un cambio de aceite el martes, por favor")
