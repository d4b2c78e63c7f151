import { connect, type Socket } from 'node:net';
import { waitFor } from '../../support/wait-for';
import { startTestServer, type TestServer } from './server-harness';

/** Slow clients on a real listening server: trickled requests and surplus connections are cut off. */
const REQUEST_TIMEOUT_MS = 1_500;
const HEADERS_TIMEOUT_MS = 800;
const MAX_CONNECTIONS = 3;

let test: TestServer;
let port: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  test = await startTestServer(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    },
    true,
  );
  port = Number(new URL(test.server.url ?? '').port);
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});
afterAll(async () => {
  await test?.stop();
});

async function openSocket(): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** What the server sent before it closed the connection, and how long after `start` it closed. */
function closed(socket: Socket, start: number): Promise<{ received: string; afterMs: number }> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  return new Promise((resolve) =>
    socket.once('close', () => resolve({ received, afterMs: Date.now() - start })),
  );
}

/** Writes `piece` every 100 ms until the socket closes, so the connection never looks idle. */
function trickle(socket: Socket, piece: string): void {
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(piece);
  }, 100);
  socket.once('close', () => clearInterval(timer));
}

describe('HTTP timeouts and connection cap', () => {
  it('answers 408 and closes a connection whose body trickles in past the request timeout', async () => {
    const socket = await openSocket();
    const start = Date.now();
    const result = closed(socket, start);
    socket.write(
      'POST /api/production-lines HTTP/1.1\r\nHost: localhost\r\n' +
        'Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"lineName":"',
    );
    trickle(socket, 'x');
    const { received, afterMs } = await result;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(afterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 1_500);
  });

  it('answers 408 and closes a connection whose headers trickle in past the headers timeout', async () => {
    const socket = await openSocket();
    const start = Date.now();
    const result = closed(socket, start);
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n');
    trickle(socket, 'X-Slow: 1\r\n');
    const { received, afterMs } = await result;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 1_500);
  });

  it('closes connections beyond the cap at once and serves again when one is released', async () => {
    const held = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) held.push(await openSocket());
    const surplus = await openSocket();
    const { received, afterMs } = await closed(surplus, Date.now());
    expect(received).toBe('');
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT_MS);

    held[0].destroy();
    await waitFor(
      'the released connection to close',
      async () => (await connectionCount()) < MAX_CONNECTIONS,
    );
    const response = await fetch(`${test.server.url}/health`);
    expect(response.status).toBe(200);
  });
});

function connectionCount(): Promise<number> {
  const server = test.server.app.getHttpServer();
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}
