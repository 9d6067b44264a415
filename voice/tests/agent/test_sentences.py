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


def stream(text: str, *, first_clause: bool = True) -> list[str]:
    """Feed `text` the way the model streams it (a word at a time with its leading space)."""
    import re

    chunker = SentenceChunker(first_clause=first_clause)
    pieces: list[str] = []
    for token in re.findall(r"\s*\S+", text):
        pieces += chunker.feed(token)
    return pieces + chunker.flush()


def test_it_releases_the_first_clause_as_soon_as_it_is_complete():
    chunker = SentenceChunker(first_clause=True)
    assert chunker.feed("Sure,") == []
    assert chunker.feed(" I") == ["Sure,"]  # the caller hears "Sure," while the rest is written
    assert chunker.feed(" can help with that.") == []
    assert chunker.feed(" We") == ["I can help with that."]
    assert stream("I can check that for you, one moment. Okay, done.") == [
        "I can check that for you,",
        "one moment.",
        "Okay, done.",  # only the reply's first clause is cut early
    ]


def test_a_dangling_fragment_is_not_a_clause():
    assert stream("On Monday, we have an opening at 9 a.m.") == ["On Monday, we have an opening at 9 a.m."]
    assert stream("If you like, I can book it.") == ["If you like, I can book it."]
    assert stream("I would book you for the, um, Monday slot.") == [
        "I would book you for the, um, Monday slot."
    ]
    assert stream("We have Monday, Tuesday, and Wednesday.") == ["We have Monday, Tuesday, and Wednesday."]
    assert stream("It costs $1,200, which includes parts.") == ["It costs $1,200, which includes parts."]


def test_spanish_punctuation_and_clauses():
    assert stream("Claro, ¿para qué día lo quiere?") == ["Claro,", "¿para qué día lo quiere?"]
    assert stream("¡Perfecto! ¿Le viene bien el lunes? Sí.") == [
        "¡Perfecto!",
        "¿Le viene bien el lunes?",
        "Sí.",
    ]
    assert stream("Si quiere, le reservo el lunes con la Sra. Gómez.") == [
        "Si quiere, le reservo el lunes con la Sra. Gómez."
    ]
    assert stream("Por supuesto, el cambio de aceite cuesta $59.99. «Listo».") == [
        "Por supuesto,",
        "el cambio de aceite cuesta $59.99.",
        "«Listo».",
    ]


def test_without_first_clause_it_waits_for_the_sentence():
    assert stream("Sure, I can help you with that.", first_clause=False) == [
        "Sure, I can help you with that."
    ]
