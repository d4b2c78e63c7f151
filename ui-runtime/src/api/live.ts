/**
 * The server's live stream (`GET /api/live`, Server-Sent Events) read with fetch, so the bearer
 * token goes along; reconnects after a drop until the returned function is called.
 */
import { authHeaders } from './http';

const RECONNECT_MS = 3000;

export function listenLive(onMessage: (event: string, data: unknown) => void): () => void {
  const controller = new AbortController();
  const dispatch = (frame: string) => {
    const event = /^event: (.*)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (event && data !== undefined) onMessage(event, JSON.parse(data) as unknown);
  };
  void (async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch('/api/live', { headers: authHeaders(), signal: controller.signal });
        if (!response.ok || !response.body) throw new Error(`live stream: ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  })();
  return () => controller.abort();
}
