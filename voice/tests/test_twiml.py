import xml.etree.ElementTree as ET

from voice import twiml


def test_connect_stream_escapes_and_carries_every_parameter():
    document = twiml.connect_stream(
        "wss://shop.example.com/voice/stream/", {"note": 'a "quoted" <tag> & more', "empty": ""}
    )

    root = ET.fromstring(document)
    params = {p.get("name"): p.get("value") for p in root.findall("./Connect/Stream/Parameter")}
    assert root.find("./Connect/Stream").get("url") == "wss://shop.example.com/voice/stream/"
    assert params == {"note": 'a "quoted" <tag> & more', "empty": ""}


def test_the_stream_fallback_hangs_up_without_a_transfer_number():
    root = ET.fromstring(twiml.connect_stream("wss://x/voice/stream/", {}))

    assert [child.tag for child in root] == ["Connect", "Say", "Hangup"]


def test_the_stream_fallback_transfers_when_it_can():
    root = ET.fromstring(twiml.connect_stream("wss://x/voice/stream/", {}, transfer_number="+13125550199"))

    assert [child.tag for child in root] == ["Connect", "Say", "Dial"]
    assert root.find("./Dial/Number").text == "+13125550199"


def test_dial_sets_the_caller_id():
    root = ET.fromstring(
        twiml.dial("+13125550199", caller_id="+13125550100", message="Transferring you & yours.")
    )

    assert root.find("Say").text == "Transferring you & yours."
    assert root.find("Dial").get("callerId") == "+13125550100"


def test_say_and_hangup():
    root = ET.fromstring(twiml.say_and_hangup("We're closed <today>."))

    assert root.find("Say").text == "We're closed <today>."
    assert root.find("Hangup") is not None
