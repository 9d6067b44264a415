// The browser test call (templates/admin/voice/call/test_call.html).
//
// Call: POST the form (the server records a test call and answers its SID and one-time stream token),
// open the microphone through the AudioWorklet in test_call_audio.js, then speak Twilio Media Streams
// over /voice/test-call/stream/: `connected`, `start` (with the token), `media` every 20 ms, `mark`
// echoes once audio has played, `stop` on hang-up. The server's `media`/`mark`/`clear` go to the
// worklet; its `testcall` frames (turns, tools, texts, a transfer or hang-up) are shown on the page.
"use strict";

(function () {
  const root = document.getElementById("test-call");
  if (!root) return;
  const form = document.getElementById("test-call-form");
  const startButton = document.getElementById("test-call-start");
  const hangUpButton = document.getElementById("test-call-hang-up");
  const statusLine = document.getElementById("test-call-status");
  const errorLine = document.getElementById("test-call-error");
  const transcript = document.getElementById("test-call-transcript");
  const empty = document.getElementById("test-call-empty");
  const events = document.getElementById("test-call-events");
  const recordLink = document.getElementById("test-call-record");
  const choices = document.getElementById("test-call-choices"); // engine and caller: fixed during a call

  let call = null; // {socket, context, node, microphone, streamSid, callSid, open, ended}

  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    document.getElementById("test-call-insecure").hidden = false;
    startButton.disabled = true;
  }

  function setStatus(text) {
    statusLine.textContent = text;
  }

  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function randomHex(bytes) {
    return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function toBase64(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i += 1) text += String.fromCharCode(bytes[i]);
    return btoa(text);
  }

  function fromBase64(payload) {
    const text = atob(payload);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  function addTurn(frame) {
    empty.hidden = true;
    const item = document.createElement("li");
    item.className = frame.role;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = frame.role === "caller" ? "You" : frame.role === "agent" ? "Receptionist" : "System";
    item.append(who);
    if (frame.interrupted) {
      const heard = frame.heard || "";
      item.append(document.createTextNode(heard + " "));
      const cut = document.createElement("span");
      cut.className = "cut";
      cut.title = "Not heard: you interrupted";
      // The heard part may end with a dash where the caller cut in ("until six in—").
      const said = heard.replace(/[\s—–…-]+$/, "");
      cut.textContent = said && frame.text.startsWith(said) ? frame.text.slice(said.length) : frame.text;
      item.append(cut);
    } else {
      item.append(document.createTextNode(frame.text));
    }
    transcript.append(item);
    transcript.scrollTop = transcript.scrollHeight;
  }

  function addTool(frame) {
    const item = document.createElement("li");
    item.className = "tool";
    item.textContent = `${frame.success ? "✓" : "✗"} ${frame.name}${frame.result ? " — " + frame.result : ""}`;
    transcript.append(item);
  }

  function addEvent(text) {
    const item = document.createElement("li");
    item.textContent = text;
    events.append(item);
  }

  function onTestCallFrame(frame) {
    if (frame.kind === "turn") addTurn(frame);
    else if (frame.kind === "tool") addTool(frame);
    else if (frame.kind === "text") addEvent(frame.text);
    else if (frame.kind === "transfer" || frame.kind === "hang_up") {
      addEvent(frame.announce ? `${frame.text} (Twilio would first say: “${frame.announce}”)` : frame.text);
      if (call) call.endedBy = frame.text;
    }
  }

  function send(frame) {
    if (call && call.socket.readyState === WebSocket.OPEN) call.socket.send(JSON.stringify(frame));
  }

  function onServerFrame(message) {
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    if (!call) return;
    if (frame.event === "media") {
      const audio = fromBase64(frame.media.payload);
      call.node.port.postMessage({ type: "play", audio }, [audio.buffer]);
    } else if (frame.event === "mark") {
      call.node.port.postMessage({ type: "mark", name: frame.mark.name });
    } else if (frame.event === "clear") {
      call.node.port.postMessage({ type: "clear" });
    } else if (frame.event === "testcall") {
      onTestCallFrame(frame);
    }
  }

  function onAudioThread(event) {
    if (!call) return;
    const message = event.data;
    if (message.mic) {
      call.chunk += 1;
      send({
        event: "media",
        streamSid: call.streamSid,
        media: { track: "inbound", chunk: String(call.chunk), timestamp: String(call.chunk * 20), payload: toBase64(message.mic) },
      });
    } else if (message.played !== undefined) {
      send({ event: "mark", streamSid: call.streamSid, mark: { name: message.played } });
    }
  }

  function finish(reason) {
    if (!call || call.ended) return;
    const ended = call;
    ended.ended = true;
    call = null;
    ended.microphone.getTracks().forEach((track) => track.stop());
    ended.node.port.postMessage({ type: "stop" });
    ended.context.close();
    startButton.disabled = false;
    hangUpButton.disabled = true;
    choices.disabled = false;
    setStatus(ended.endedBy ? `Call ended: ${ended.endedBy}` : reason);
  }

  function openSocket(placed, streamSid) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${placed.stream_path}`);
    socket.addEventListener("open", () => {
      call.open = true;
      socket.send(JSON.stringify({ event: "connected", protocol: "Call", version: "1.0.0" }));
      socket.send(JSON.stringify({
        event: "start",
        sequenceNumber: "1",
        streamSid,
        start: {
          streamSid,
          callSid: placed.call_sid,
          accountSid: "",
          tracks: ["inbound"],
          customParameters: { call_sid: placed.call_sid, token: placed.token, engine: placed.engine },
          mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
        },
      }));
      setStatus(`In the call as ${placed.customer || placed.caller}: speak now.`);
      hangUpButton.disabled = false;
    });
    socket.addEventListener("message", onServerFrame);
    socket.addEventListener("close", () => {
      if (call && !call.open) showError("The server refused the call (are you still signed in?). Reload the page and try again.");
      finish("Call ended.");
    });
    return socket;
  }

  async function startCall(event) {
    event.preventDefault();
    if (call) return;
    showError("");
    startButton.disabled = true;
    setStatus("Placing the call…");
    // Created inside the click, so the browser lets it play sound.
    const context = new AudioContext();
    let microphone = null;
    const placing = new FormData(form); // read before the choices are disabled (disabled fields are not sent)
    choices.disabled = true;
    try {
      const response = await fetch(location.pathname, { method: "POST", body: placing, credentials: "same-origin" });
      const placed = await response.json().catch(() => ({ error: `The server answered ${response.status}.` }));
      if (!response.ok) throw new Error(placed.error || `The server answered ${response.status}.`);
      setStatus("Asking for the microphone…");
      await context.audioWorklet.addModule(root.dataset.worklet);
      try {
        microphone = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
        });
      } catch (error) {
        throw new Error("The browser did not give this page the microphone: allow it (the icon in the address bar) and call again.");
      }
      const node = new AudioWorkletNode(context, "test-call-audio", { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
      node.port.onmessage = onAudioThread;
      context.createMediaStreamSource(microphone).connect(node);
      node.connect(context.destination);
      await context.resume();
      transcript.replaceChildren();
      events.replaceChildren();
      empty.hidden = false;
      recordLink.href = placed.call_url;
      recordLink.hidden = false;
      const streamSid = "MZ" + randomHex(16);
      call = { context, node, microphone, streamSid, callSid: placed.call_sid, chunk: 0, open: false, ended: false, endedBy: "" };
      setStatus("Connecting…");
      call.socket = openSocket(placed, streamSid);
    } catch (error) {
      if (microphone) microphone.getTracks().forEach((track) => track.stop());
      context.close();
      showError(error.message);
      setStatus("Not in a call.");
      startButton.disabled = false;
      choices.disabled = false;
    }
  }

  function hangUp() {
    if (!call) return;
    send({ event: "stop", streamSid: call.streamSid, stop: { callSid: call.callSid } });
    const socket = call.socket;
    finish("You hung up.");
    socket.close(1000);
  }

  form.addEventListener("submit", startCall);
  hangUpButton.addEventListener("click", hangUp);
  window.addEventListener("beforeunload", hangUp);
})();
