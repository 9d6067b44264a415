from voice.agent.heard import SpokenSentence, heard_text


def test_it_keeps_everything_when_all_audio_played():
    sentences = [SpokenSentence("Hello there.", 800, 800), SpokenSentence("How can I help?", 1600, 1600)]
    assert heard_text(sentences) == ("Hello there. How can I help?", False)


def test_it_cuts_a_sentence_in_proportion_to_the_audio_heard():
    sentences = [
        SpokenSentence("We have Monday at nine.", 1600, 1600),
        SpokenSentence("Or Tuesday at ten or Wednesday at eleven.", 4000, 2000),
        SpokenSentence("Which works best?", 1200, 0),
    ]
    text, interrupted = heard_text(sentences)
    assert interrupted
    assert text == "We have Monday at nine. Or Tuesday at ten—"


def test_it_drops_sentences_that_were_never_heard():
    assert heard_text([SpokenSentence("Never played.", 800, 0)]) == ("", True)
