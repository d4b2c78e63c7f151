/**
 * The benchmark's ceiling: the smallest reasonable hand-written server for the same four work order
 * operations — Fastify and a mysql2 pool, the same table and indexes, equivalent SQL (tenant filter,
 * soft-delete filter, generated number from the same sequence table, optimistic lock), rows mapped to
 * camelCase JSON in the same envelope. No metadata, validation schemas, hooks or logging. Like ours,
 * it authenticates every API request: an HS256 bearer token verified with `jose`.
 *
 * Env: PORT, DATABASE_URL (mysql://…), DB_POOL_SIZE, MES_JWT_SECRET.
 */
import Fastify from 'fastify';
import { jwtVerify } from 'jose';
import { createPool, type RowDataPacket } from 'mysql2/promise';

const TENANT = 'DEMO';
const url = new URL(process.env.DATABASE_URL ?? '');
const pool = createPool({
  host: url.hostname,
  port: Number(url.port || 3306),
  user: decodeURIComponent(url.username) || 'root',
  password: decodeURIComponent(url.password),
  database: url.pathname.slice(1),
  connectionLimit: Number(process.env.DB_POOL_SIZE ?? 10),
  dateStrings: true,
  decimalNumbers: true,
  timezone: 'Z',
});

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const toRecord = (row: RowDataPacket) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v]));
const envelope = (data: unknown) => ({
  code: 'OK',
  message: 'OK',
  data,
  timestamp: new Date().toISOString(),
  traceId: '',
});
const now = () => new Date().toISOString().slice(0, 23).replace('T', ' ');

const app = Fastify({ logger: false });
// Imported once: given raw bytes, jose would import the key on every request.
const secret = crypto.subtle.importKey(
  'raw',
  new TextEncoder().encode(process.env.MES_JWT_SECRET ?? ''),
  { name: 'HMAC', hash: 'SHA-256' },
  false,
  ['verify'],
);

app.addHook('onRequest', async (request, reply) => {
  if (request.routeOptions.url === '/health') return;
  const header = request.headers.authorization ?? '';
  try {
    await jwtVerify(header.slice('Bearer '.length), await secret, { algorithms: ['HS256'] });
  } catch {
    return reply.code(401).send({ code: 'UNAUTHORIZED' });
  }
});

app.get('/health', async () => ({ status: 'ok' }));

interface ListQuery {
  'filter[status][eq]'?: string;
  'filter[woNo][startsWith]'?: string;
  page?: string;
  pageSize?: string;
}

app.get<{ Querystring: ListQuery }>('/api/work-orders', async (request) => {
  const pageSize = Math.min(Number(request.query.pageSize ?? 20), 500);
  const page = Number(request.query.page ?? 1);
  const prefix = request.query['filter[woNo][startsWith]'];
  if (prefix !== undefined) {
    // The code-prefix search: no total, ordered by the code (its unique index serves both).
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT * FROM work_order WHERE tenant_id = ? AND deleted_at IS NULL AND wo_no LIKE ? ESCAPE '!' ORDER BY wo_no, id LIMIT ? OFFSET ?",
      [TENANT, `${prefix.replace(/[%_!]/g, '!$&')}%`, pageSize, (page - 1) * pageSize],
    );
    return envelope({ items: rows.map(toRecord), total: null, page, pageSize, nextCursor: null });
  }
  const where = 'tenant_id = ? AND deleted_at IS NULL AND status = ?';
  const params = [TENANT, request.query['filter[status][eq]'] ?? 'RELEASED'];
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT * FROM work_order WHERE ${where} ORDER BY planned_start DESC, id DESC LIMIT ? OFFSET ?`,
    [...params, pageSize, (page - 1) * pageSize],
  );
  const [count] = await pool.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM work_order WHERE ${where}`,
    params,
  );
  return envelope({
    items: rows.map(toRecord),
    total: Number(count[0].n),
    page,
    pageSize,
    nextCursor: null,
  });
});

app.get<{ Params: { id: string } }>('/api/work-orders/:id', async (request, reply) => {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT * FROM work_order WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL',
    [TENANT, Number(request.params.id)],
  );
  if (rows.length === 0) return reply.code(404).send({ code: 'NOT_FOUND' });
  return envelope(toRecord(rows[0]));
});

interface CreateBody {
  itemId: number;
  lineId: number;
  plannedQuantity: number;
  plannedStart: string;
}

app.post<{ Body: CreateBody }>('/api/work-orders', async (request, reply) => {
  const body = request.body;
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    const [lines] = await connection.query<RowDataPacket[]>(
      'SELECT line_code FROM production_line WHERE id = ? AND tenant_id = ?',
      [body.lineId, TENANT],
    );
    const scope = `${TENANT}:work_order:WO-${lines[0].line_code}-`;
    await connection.query(
      'INSERT INTO sys_sequence (seq_name, current_value) VALUES (?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE current_value = LAST_INSERT_ID(current_value + 1)',
      [scope],
    );
    const [seq] = await connection.query<RowDataPacket[]>('SELECT LAST_INSERT_ID() AS v');
    const woNo = `WO-${lines[0].line_code}-${String(seq[0].v).padStart(4, '0')}`;
    const stamp = now();
    const [result] = await connection.query<RowDataPacket[] & { insertId: number }>(
      'INSERT INTO work_order (tenant_id, wo_no, item_id, line_id, planned_quantity, planned_start, status, priority, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)',
      [
        TENANT,
        woNo,
        body.itemId,
        body.lineId,
        body.plannedQuantity,
        body.plannedStart.slice(0, 23).replace('T', ' '),
        'DRAFT',
        'NORMAL',
        stamp,
        stamp,
      ],
    );
    const [rows] = await connection.query<RowDataPacket[]>('SELECT * FROM work_order WHERE id = ?', [
      result.insertId,
    ]);
    await connection.commit();
    return reply.code(201).send(envelope(toRecord(rows[0])));
  } catch (error) {
    await connection.rollback();
    throw error;
  } finally {
    connection.release();
  }
});

app.patch<{ Params: { id: string }; Body: { version: number; remarks: string } }>(
  '/api/work-orders/:id',
  async (request, reply) => {
    const id = Number(request.params.id);
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      const [result] = await connection.query<RowDataPacket[] & { affectedRows: number }>(
        'UPDATE work_order SET remarks = ?, version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ? AND deleted_at IS NULL',
        [request.body.remarks, now(), TENANT, id, request.body.version],
      );
      if (result.affectedRows === 0) {
        await connection.rollback();
        return reply.code(409).send({ code: 'CONFLICT' });
      }
      const [rows] = await connection.query<RowDataPacket[]>('SELECT * FROM work_order WHERE id = ?', [id]);
      await connection.commit();
      return envelope(toRecord(rows[0]));
    } catch (error) {
      await connection.rollback();
      throw error;
    } finally {
      connection.release();
    }
  },
);

app
  .listen({ port: Number(process.env.PORT ?? 8090), host: '127.0.0.1' })
  .then(() => process.stdout.write('ceiling ready\n'))
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
