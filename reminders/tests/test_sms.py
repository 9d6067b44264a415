from reminders.services.sms import CONFIRM_WORDS, OPT_OUT_WORDS, keyword


def test_keywords_ignore_case_spacing_and_punctuation():
    assert keyword("  stop. ") == "STOP"
    assert keyword("Opt-Out!") == "OPT OUT"
    assert keyword("c") in CONFIRM_WORDS


def test_a_keyword_inside_a_sentence_is_not_a_keyword():
    assert keyword("please stop by tomorrow") not in OPT_OUT_WORDS
    assert keyword("Cancel my appointment please") not in OPT_OUT_WORDS
