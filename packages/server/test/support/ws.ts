import WebSocket from 'ws';
import { TOKEN } from './server.js';

/** A WebSocket client that records every text frame and how the socket closed. */
export interface RecordingSocket {
  frames: unknown[];
  closed: Promise<{ code: number; reason: string }>;
  socket: WebSocket;
  /** The HTTP status when the server refused the upgrade. */
  refused: Promise<number>;
  /** Resolves once `predicate` holds for the frames received so far. */
  until(predicate: (frames: unknown[]) => boolean): Promise<void>;
}

/** Opens `path` on the server at `port` with the token and records its frames. */
export function openSocket(port: number, path: string, headers: Record<string, string> = {}): RecordingSocket {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
  const frames: unknown[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    frames.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      for (const wake of waiters.splice(0)) wake();
      resolve({ code, reason: String(reason) });
    });
    socket.on('error', () => undefined);
  });
  const refused = new Promise<number>((resolve) => {
    socket.on('unexpected-response', (request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      request.destroy();
    });
  });
  const until = async (predicate: (frames: unknown[]) => boolean): Promise<void> => {
    while (!predicate(frames)) {
      if (socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed before the condition held: ${JSON.stringify(frames)}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { frames, closed, socket, until, refused };
}
