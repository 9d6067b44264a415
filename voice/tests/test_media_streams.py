import base64
import json

import pytest

from voice.media_streams import (
    MAX_AUDIO_BYTES,
    Connected,
    Dtmf,
    Encoder,
    Mark,
    Media,
    ProtocolError,
    Start,
    Stop,
    parse_frame,
)

STREAM_SID = "MZ" + "0" * 32
CALL_SID = "CA" + "1" * 32


def frame(**message) -> str:
    return json.dumps(message)


def media_frame(payload: str) -> str:
    return frame(
        event="media",
        sequenceNumber="3",
        media={"track": "inbound", "chunk": "1", "timestamp": "5", "payload": payload},
        streamSid=STREAM_SID,
    )


def test_it_parses_connected():
    assert parse_frame(frame(event="connected", protocol="Call", version="1.0.0")) == Connected(
        "Call", "1.0.0"
    )


def test_it_parses_start_with_parameters_and_format():
    parsed = parse_frame(
        frame(
            event="start",
            sequenceNumber="1",
            start={
                "accountSid": "AC" + "2" * 32,
                "streamSid": STREAM_SID,
                "callSid": CALL_SID,
                "tracks": ["inbound"],
                "customParameters": {"call_id": "7", "token": "abc"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
            streamSid=STREAM_SID,
        )
    )

    assert isinstance(parsed, Start)
    assert parsed.call_sid == CALL_SID
    assert parsed.stream_sid == STREAM_SID
    assert parsed.custom_parameters == {"call_id": "7", "token": "abc"}
    assert parsed.media_format.is_mulaw_8k


def test_a_start_in_another_audio_format_is_recognisable():
    parsed = parse_frame(
        frame(
            event="start",
            start={
                "streamSid": STREAM_SID,
                "callSid": CALL_SID,
                "mediaFormat": {"encoding": "audio/l16", "sampleRate": 16000, "channels": 1},
            },
        )
    )

    assert not parsed.media_format.is_mulaw_8k


def test_it_decodes_media_to_mulaw_bytes():
    audio = bytes(range(160))

    parsed = parse_frame(media_frame(base64.b64encode(audio).decode()))

    assert parsed == Media(audio, "inbound")


def test_it_parses_mark_dtmf_and_stop():
    assert parse_frame(frame(event="mark", streamSid=STREAM_SID, mark={"name": "m-3"})) == Mark("m-3")
    assert parse_frame(frame(event="dtmf", dtmf={"track": "inbound_track", "digit": "#"})) == Dtmf("#")
    assert parse_frame(frame(event="stop", stop={"accountSid": "AC", "callSid": CALL_SID})) == Stop(CALL_SID)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (frame(event="wiggle"), "unknown event"),
        (frame(streamSid=STREAM_SID), "unknown event"),
        (media_frame("!!!not base64!!!"), "not base64"),
        (media_frame("AAAA" * 2000), "exceeds"),
        (frame(event="media", media={"track": "inbound"}), "payload"),
        (frame(event="media", media="AAAA"), "'media' object"),
        (frame(event="mark", mark={}), "'name'"),
        (frame(event="dtmf", dtmf={"digit": "x"}), "DTMF"),
        (frame(event="start", start={"streamSid": STREAM_SID}), "'callSid'"),
        (
            frame(
                event="start", start={"callSid": CALL_SID, "streamSid": STREAM_SID, "customParameters": []}
            ),
            "custom",
        ),
        (" " * 70_000, "too large"),
    ],
)
def test_it_rejects_bad_frames_with_a_reason(text, why):
    with pytest.raises(ProtocolError, match=why):
        parse_frame(text)


def test_the_largest_allowed_payload_is_accepted():
    audio = b"\xff" * MAX_AUDIO_BYTES

    assert parse_frame(media_frame(base64.b64encode(audio).decode())).audio == audio


def test_it_encodes_media_as_headerless_base64_in_a_text_frame():
    audio = b"\x00\x7f\xff" * 100

    message = json.loads(Encoder(STREAM_SID).media(audio))

    assert message == {
        "event": "media",
        "streamSid": STREAM_SID,
        "media": {"payload": message["media"]["payload"]},
    }
    assert base64.b64decode(message["media"]["payload"]) == audio


def test_it_encodes_mark_and_clear():
    encoder = Encoder(STREAM_SID)

    assert json.loads(encoder.mark('m-"1"')) == {
        "event": "mark",
        "streamSid": STREAM_SID,
        "mark": {"name": 'm-"1"'},
    }
    assert json.loads(encoder.clear()) == {"event": "clear", "streamSid": STREAM_SID}
