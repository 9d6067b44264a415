from voice.agent.sentences import SentenceChunker


def feed_all(*deltas: str) -> list[str]:
    chunker = SentenceChunker()
    sentences: list[str] = []
    for delta in deltas:
        sentences += chunker.feed(delta)
    return sentences + chunker.flush()


def test_it_releases_each_sentence_as_soon_as_it_ends():
    chunker = SentenceChunker()
    assert chunker.feed("Sure! I can") == ["Sure!"]
    assert chunker.feed(" help with that. What") == ["I can help with that."]
    assert chunker.flush() == ["What"]


def test_it_does_not_split_prices_abbreviations_or_initials():
    assert feed_all("It's $59", ".99 with Dr. Smith at 9 a.m. on St. Clair. Okay?") == [
        "It's $59.99 with Dr. Smith at 9 a.m. on St. Clair.",
        "Okay?",
    ]


def test_it_cuts_a_very_long_sentence_at_a_comma():
    long = "We have openings on Monday morning at seven thirty, eight, and eight thirty, " * 3
    sentences = feed_all(*(word + " " for word in long.split()))
    assert len(sentences) > 1
    assert all(len(s) <= 150 for s in sentences)
    assert " ".join(sentences).replace("  ", " ").strip() == long.strip()
