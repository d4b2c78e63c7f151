/**
 * The server's live channel (`GET /api/live`, Server-Sent Events) read with fetch, which can send
 * the bearer token EventSource cannot. Reconnects after a dropped stream; stop() ends it.
 */
import { authHeaders } from '../api/http';

export interface LiveEvent {
  event: string;
  data: unknown;
}

const RECONNECT_MS = 5000;

export function subscribeLive(onEvent: (event: LiveEvent) => void): () => void {
  const controller = new AbortController();
  let stopped = false;
  const connect = async (): Promise<void> => {
    while (!stopped) {
      try {
        const response = await fetch('/api/live', {
          headers: { accept: 'text/event-stream', ...authHeaders() },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`live: ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data !== undefined) onEvent({ event, data: JSON.parse(data) as unknown });
          }
        }
      } catch {
        // Dropped or refused: try again after a pause, unless stopped.
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  };
  void connect();
  return () => {
    stopped = true;
    controller.abort();
  };
}
