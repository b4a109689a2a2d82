import type { WebSocket } from 'ws';

/** Heartbeat period of every WebSocket (a ping every 30 s keeps proxies and dead peers honest). */
export const WS_PING_INTERVAL_MS = 30_000;

/** Every open WebSocket, so `preClose` can close them (or Fastify's close hangs) and one timer pings them. */
export class SocketRegistry {
  readonly #sockets = new Set<WebSocket>();
  #timer: NodeJS.Timeout | null = null;

  constructor(pingIntervalMs = WS_PING_INTERVAL_MS) {
    if (pingIntervalMs > 0) {
      this.#timer = setInterval(() => {
        for (const socket of this.#sockets) if (socket.readyState === socket.OPEN) socket.ping();
      }, pingIntervalMs);
      this.#timer.unref();
    }
  }

  /** Tracks `socket` until it closes. */
  add(socket: WebSocket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }

  /** Closes every socket with 1001 (going away) and stops the pings. */
  closeAll(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const socket of this.#sockets) socket.close(1001, 'server shutting down');
    this.#sockets.clear();
  }
}
