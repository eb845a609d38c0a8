// The client's own liveness check (seed 004's heartbeat): a request every
// `interval` ms on the open connection; no reply within `timeout` ms means
// the connection is dead even if no close ever came (a network that
// dropped silently), and the client gives it up and reconnects. Browsers
// cannot send WebSocket pings, so this works at the message level.

export const HEARTBEAT_DEFAULTS = Object.freeze({ interval: 30_000, timeout: 10_000 });

export class Heartbeat {
  #settings;
  #probe;
  #onBeat;
  #onLost;
  #timer = null;
  #running = false;

  /**
   * @param {{ interval: number, timeout: number }} settings
   * @param {{ probe: (timeout: number) => Promise<unknown>, onBeat: (rtt: number) => void, onLost: () => void }} hooks
   *   `probe` rejects when no reply came in time (or the connection went).
   */
  constructor(settings, { probe, onBeat, onLost }) {
    this.#settings = settings;
    this.#probe = probe;
    this.#onBeat = onBeat;
    this.#onLost = onLost;
  }

  start() {
    this.stop();
    this.#running = true;
    this.#schedule();
  }

  stop() {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule() {
    this.#timer = setTimeout(() => this.#beat(), this.#settings.interval);
  }

  async #beat() {
    const started = Date.now();
    try {
      await this.#probe(this.#settings.timeout);
    } catch {
      if (this.#running) {
        this.stop();
        this.#onLost();
      }
      return;
    }
    if (!this.#running) return;
    this.#onBeat(Date.now() - started);
    this.#schedule();
  }
}
