from voice.agent.flow import Line
from voice.engines.realtime.responses import Request, TurnDetection, line_instructions


def test_the_shops_turn_detection_applies_outside_the_engines_phases():
    detection = TurnDetection({"type": "semantic_vad", "eagerness": "low"})

    assert detection.config(hold=False, protect=False) == {
        "type": "semantic_vad",
        "eagerness": "low",
        "create_response": True,
        "interrupt_response": True,
    }
    assert detection.config(hold=True, protect=True) == {
        "type": "semantic_vad",
        "eagerness": "low",
        "create_response": False,
        "interrupt_response": False,
    }


def test_a_shop_that_turns_auto_answers_off_keeps_them_off():
    detection = TurnDetection({"type": "server_vad", "create_response": False})

    assert detection.config(hold=False, protect=False)["create_response"] is False


def test_without_settings_it_uses_server_vad():
    config = TurnDetection(None).config(hold=False, protect=False)

    assert config["type"] == "server_vad" and config["silence_duration_ms"] == 500


def test_a_lines_instructions_keep_the_sessions_and_quote_the_words():
    text = line_instructions("You are the receptionist.", Line(("Hi, this call may be recorded.",)))

    assert text.startswith("You are the receptionist.\n\n")
    assert text.endswith('word for word, and nothing else: "Hi, this call may be recorded."')


def test_only_uninterruptible_lines_are_protected():
    assert Request("greeting", line=Line(("Hi.",))).protected
    assert not Request("line", line=Line(("Are you still there?",), uninterruptible=False)).protected
    assert not Request("caller").protected
