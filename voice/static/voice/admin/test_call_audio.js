// The test call's audio, in the browser's audio thread (an AudioWorklet; no plug-ins).
//
// Microphone: the input is averaged down to 8 kHz, encoded as G.711 µ-law and handed to the page in
// 20 ms pieces (160 bytes), which the page sends as Media Streams `media` frames.
// Speaker: µ-law from the server is decoded into a playback queue; each `mark` the server sent waits in
// that queue behind the audio sent before it and is handed back to the page ("played") only once that
// audio has been rendered, so the server's playout clock knows what the caller heard, as with Twilio.
// `clear` empties the queue at once (barge-in); marks flushed with it are dropped, never "played".

const FRAME_BYTES = 160; // 20 ms at 8 kHz
const RATE = 8000;

function mulawEncode(sample) {
  let s = Math.round(Math.max(-1, Math.min(1, sample)) * 32767);
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  if (s > 32635) s = 32635;
  s += 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent -= 1;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

const DECODED = new Float32Array(256);
for (let byte = 0; byte < 256; byte += 1) {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  DECODED[byte] = ((u & 0x80) ? -magnitude : magnitude) / 32768;
}

class TestCallAudio extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = RATE / sampleRate; // 8 kHz samples per render sample
    this.inPhase = 0;
    this.inSum = 0;
    this.inCount = 0;
    this.frame = new Uint8Array(FRAME_BYTES);
    this.frameLength = 0;
    this.queue = []; // {audio: Float32Array, pos: number} | {mark: string}
    this.outPhase = 0;
    this.stopped = false;
    this.port.onmessage = (event) => this.command(event.data);
  }

  command(message) {
    if (message.type === "play") {
      const audio = new Float32Array(message.audio.length);
      for (let i = 0; i < audio.length; i += 1) audio[i] = DECODED[message.audio[i]];
      if (audio.length) this.queue.push({ audio, pos: 0 });
    } else if (message.type === "mark") {
      this.queue.push({ mark: message.name });
    } else if (message.type === "clear") {
      this.queue = [];
      this.outPhase = 0;
    } else if (message.type === "stop") {
      this.stopped = true;
    }
  }

  releaseMarks() {
    while (this.queue.length && this.queue[0].mark !== undefined) {
      this.port.postMessage({ played: this.queue.shift().mark });
    }
  }

  listen(input) {
    for (let i = 0; i < input.length; i += 1) {
      this.inSum += input[i];
      this.inCount += 1;
      this.inPhase += this.step;
      if (this.inPhase < 1) continue;
      this.inPhase -= 1;
      this.frame[this.frameLength] = mulawEncode(this.inSum / this.inCount);
      this.frameLength += 1;
      this.inSum = 0;
      this.inCount = 0;
      if (this.frameLength === FRAME_BYTES) {
        this.port.postMessage({ mic: this.frame }, [this.frame.buffer]);
        this.frame = new Uint8Array(FRAME_BYTES);
        this.frameLength = 0;
      }
    }
  }

  speak(output) {
    for (let i = 0; i < output.length; i += 1) {
      this.releaseMarks();
      const front = this.queue[0];
      if (front === undefined) {
        output[i] = 0;
        continue;
      }
      output[i] = front.audio[front.pos];
      this.outPhase += this.step;
      if (this.outPhase >= 1) {
        this.outPhase -= 1;
        front.pos += 1;
        if (front.pos >= front.audio.length) this.queue.shift();
      }
    }
    this.releaseMarks();
  }

  process(inputs, outputs) {
    if (this.stopped) return false;
    const input = inputs[0] && inputs[0][0];
    if (input) this.listen(input);
    const output = outputs[0];
    if (output && output[0]) {
      this.speak(output[0]);
      for (let channel = 1; channel < output.length; channel += 1) output[channel].set(output[0]);
    }
    return true;
  }
}

registerProcessor("test-call-audio", TestCallAudio);
