import { createServer, connect, type Server, type Socket } from 'node:net';
import { dropMysqlDatabase, mysqlUrl } from '../migrations/helpers';
import { startTestServer, type TestServer } from './server-harness';

/** A database the server cannot reach answers 503 DATABASE_UNAVAILABLE, not 500, until it is back. */
interface ErrorBody {
  code: string;
  message: string;
}

const createLine = (test: TestServer, code: string) =>
  test.server.app.inject({
    method: 'POST',
    url: '/api/production-lines',
    payload: { lineCode: code, lineName: code },
  });

/** A TCP relay to MariaDB that the test can cut, as a failed network or a stopped server would. */
class DatabaseLink {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async open(): Promise<void> {
    const upstream = new URL(mysqlUrl('x'));
    this.server = createServer((client) => {
      const database = connect({ host: upstream.hostname, port: Number(upstream.port || 3306) });
      for (const socket of [client, database]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(database).pipe(client);
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

describe('database unavailable on MariaDB', () => {
  const name = `mes_test_lost_${process.pid}_${Date.now() % 100000}`;
  const link = new DatabaseLink();
  let test: TestServer;

  beforeAll(async () => {
    await link.open();
    test = await startTestServer({ DATABASE_URL: mysqlUrl(name).replace(/:\d+\//, `:${link.port}/`) });
  });
  afterAll(async () => {
    await test?.stop();
    await link.cut();
    await dropMysqlDatabase(name);
  });

  it('answers 503 while the connection is lost and serves again once it is back', async () => {
    expect((await createLine(test, 'UP1')).statusCode).toBe(201);
    await link.cut();
    const lost = await createLine(test, 'DOWN');
    expect(lost.statusCode).toBe(503);
    expect(lost.json<ErrorBody>().code).toBe('DATABASE_UNAVAILABLE');
    const read = await test.server.app.inject({ method: 'GET', url: '/api/production-lines' });
    expect(read.statusCode).toBe(503);

    await link.open();
    expect((await createLine(test, 'UP2')).statusCode).toBe(201);
  });
});
