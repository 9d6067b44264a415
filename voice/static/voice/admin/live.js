// The live board: calls in progress pushed over the /voice/live/ WebSocket (voice.live.consumer),
// and the take-over buttons sent to the admin's take-over endpoint with fetch.
"use strict";

(function () {
  const board = document.getElementById("live-board");
  if (!board) return;
  const statusLine = document.getElementById("live-status");
  const messageLine = document.getElementById("live-message");
  const empty = document.getElementById("live-empty");
  const takeOver = document.getElementById("live-take-over");
  const cards = new Map(); // call id -> {card, started, turns: Map(seq -> li), tools: Set}

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function forId(template, id) {
    return template.replace(/\/0\//, "/" + id + "/");
  }

  function duration(started) {
    const seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
    const m = Math.floor(seconds / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return m + ":" + s;
  }

  function refreshEmpty() {
    empty.hidden = cards.size > 0;
  }

  function sendControl(form, callId) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      messageLine.textContent = "Sending…";
      try {
        const answer = await fetch(form.getAttribute("action"), {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const body = await answer.json().catch(() => ({ message: "The server answered " + answer.status + "." }));
        messageLine.textContent = body.message || (answer.ok ? "Sent." : "Not sent.");
        if (answer.ok) form.reset();
      } catch (error) {
        messageLine.textContent = "Could not reach the server; try again.";
      } finally {
        button.disabled = false;
      }
    });
  }

  function open(header, events) {
    const id = header.call_id;
    if (cards.has(id)) {
      (events || []).forEach(apply);
      return;
    }
    const card = el("section", "desk-card live-call");
    card.id = "live-call-" + id;
    card.dataset.callId = id;
    const title = el("h2");
    const link = el("a", "", header.customer || "Unknown caller");
    link.href = forId(board.dataset.callUrl, id);
    title.append(link, " ", el("span", "desk-muted", header.caller));
    if (header.test) title.append(" ", el("span", "desk-badge review", "test call"));
    card.append(title);
    const facts = el("p", "desk-muted live-facts");
    const clock = el("span", "live-duration");
    const outcome = el("span", "live-outcome", header.outcome || "no outcome yet");
    facts.append(header.direction + " · " + header.engine + " · ", clock, " · ", outcome);
    card.append(facts);
    const transcript = el("ol", "live-transcript");
    const tools = el("ul", "live-tools");
    card.append(transcript, tools);
    if (takeOver) {
      const controls = takeOver.content.cloneNode(true);
      controls.querySelectorAll("form").forEach((form) => {
        // setAttribute: the form's input named "action" shadows the form.action property.
        form.setAttribute("action", forId(board.dataset.takeOverUrl, id));
        sendControl(form, id);
      });
      card.append(controls);
    }
    board.append(card);
    const started = Date.parse(header.started) || Date.now();
    cards.set(id, { card, clock, outcome, transcript, tools, started, turns: new Map(), toolIds: new Set() });
    clock.textContent = duration(started);
    (events || []).forEach(apply);
    refreshEmpty();
  }

  function apply(event) {
    const entry = cards.get(event.call_id);
    if (!entry) return;
    if (event.kind === "turn") {
      if (entry.turns.has(event.seq)) return;
      const line = el("li", "live-turn live-" + event.role);
      line.dataset.seq = event.seq;
      line.append(el("strong", "", event.role === "caller" ? "Caller: " : event.role === "agent" ? "Agent: " : "· "));
      line.append(event.text + (event.interrupted ? " (interrupted)" : ""));
      const later = [...entry.turns.entries()].filter(([seq]) => seq > event.seq).sort((a, b) => a[0] - b[0]);
      entry.transcript.insertBefore(line, later.length ? later[0][1] : null);
      entry.turns.set(event.seq, line);
    } else if (event.kind === "tool") {
      if (entry.toolIds.has(event.id)) return;
      entry.toolIds.add(event.id);
      entry.tools.append(el("li", event.success ? "live-tool" : "live-tool failed", event.name + (event.success ? "" : " (failed)")));
    } else if (event.kind === "outcome") {
      entry.outcome.textContent = event.outcome || "no outcome yet";
    }
  }

  function end(id) {
    const entry = cards.get(id);
    if (!entry) return;
    entry.card.remove();
    cards.delete(id);
    refreshEmpty();
  }

  let retry = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + board.dataset.socketPath);
    socket.addEventListener("open", () => {
      retry = 1000;
      statusLine.textContent = "Live";
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (event.kind === "open") open(event.call, event.events);
      else if (event.kind === "end") end(event.call_id);
      else apply(event);
    });
    socket.addEventListener("close", () => {
      statusLine.textContent = "Disconnected; reconnecting…";
      [...cards.keys()].forEach(end); // the server sends every live call again on reconnect
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  setInterval(() => cards.forEach((entry) => (entry.clock.textContent = duration(entry.started))), 1000);
  refreshEmpty();
  connect();
})();
