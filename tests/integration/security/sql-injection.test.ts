/**
 * Classic SQL injection payloads in every list parameter, on SQLite and MariaDB: names that are not
 * declared (filter fields, operators, sort, fields, expand) are 400, values (filter values, search,
 * cursor, pageSize) are bound or refused and never run, and the tables are intact afterwards.
 */
import { startSecurityServer, type Dialect, type SecurityServer } from './security-server';
import { DEMO_DEPARTMENTS } from '../../../platform/src/security/demo-departments';
import { DEMO_USERS } from '../../../platform/src/security/demo-seed';
import { TEST_DIALECTS } from '../../support/test-dialects';

const PAYLOADS = [
  "' OR '1'='1",
  "' OR 1=1 --",
  '" OR ""="',
  "'; DROP TABLE sys_dept; --",
  '1; DROP TABLE sys_user',
  "1' UNION SELECT username, password_hash FROM sys_user --",
  "admin'--",
  "') OR ('a'='a",
  '1 OR SLEEP(5)',
  "%' AND 1=0 UNION SELECT NULL --",
  'deptName; DELETE FROM sys_dept',
  '`deptName`',
  "\\'; SELECT * FROM sys_user; --",
];

type Case = { parameter: string; query: (payload: string) => string; names: boolean };

/** Parameters that take declared names answer 400; parameters that take values answer 200 or 400. */
const CASES: Case[] = [
  { parameter: 'filter field', query: (p) => `filter[${enc(p)}]=x`, names: true },
  { parameter: 'filter operator', query: (p) => `filter[deptName][${enc(p)}]=x`, names: true },
  {
    parameter: 'filter JSON field',
    query: (p) => `filter=${enc(JSON.stringify({ [p]: 'x' }))}`,
    names: true,
  },
  { parameter: 'sort', query: (p) => `sort=${enc(p)}`, names: true },
  { parameter: 'fields', query: (p) => `fields=${enc(p)}`, names: true },
  { parameter: 'expand', query: (p) => `expand=${enc(p)}`, names: true },
  { parameter: 'filter value', query: (p) => `filter[deptName]=${enc(p)}`, names: false },
  { parameter: 'filter contains', query: (p) => `filter[deptName][contains]=${enc(p)}`, names: false },
  { parameter: 'filter in', query: (p) => `filter[deptName][in]=${enc(p)}`, names: false },
  { parameter: 'filter on id', query: (p) => `filter[id]=${enc(p)}`, names: false },
  { parameter: 'search', query: (p) => `search=${enc(p)}`, names: false },
  { parameter: 'cursor', query: (p) => `cursor=${enc(p)}`, names: false },
  { parameter: 'pageSize', query: (p) => `pageSize=${enc(p)}`, names: false },
  { parameter: 'page', query: (p) => `page=${enc(p)}`, names: false },
];

function enc(value: string): string {
  return encodeURIComponent(value);
}

describe.each<Dialect>(TEST_DIALECTS)('SQL injection attempts on %s', (dialect) => {
  let mes: SecurityServer;
  const counts = async () => ({
    departments: (await mes.query<{ n: number }>('SELECT COUNT(*) AS n FROM sys_dept'))[0].n,
    users: (await mes.query<{ n: number }>('SELECT COUNT(*) AS n FROM sys_user'))[0].n,
  });

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'sqli');
    for (const [deptCode, deptName] of [
      ['PROD', 'Production'],
      ['QA', 'Quality'],
    ]) {
      const created = await mes.call('admin', 'POST', '/api/departments', { deptCode, deptName });
      expect(created.statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    await mes?.stop();
  });

  it.each(CASES)('$parameter: refuses undeclared names and binds values', async ({ query, names }) => {
    const before = await counts();
    for (const payload of PAYLOADS) {
      const response = await mes.call('admin', 'GET', `/api/departments?${query(payload)}`);
      const outcome = `${payload} -> ${response.statusCode} ${response.body.slice(0, 160)}`;
      if (names) expect(outcome).toMatch(/ -> 400 /);
      else {
        expect(outcome).toMatch(/ -> (200|400) /);
        // A bound value matches no department: no payload widens the result to every row.
        if (response.statusCode === 200) expect(response.json().data.items.length).toBeLessThan(2);
      }
    }
    expect(await counts()).toEqual(before);
  });

  it('leaves every table and row in place', async () => {
    expect(await counts()).toEqual({ departments: DEMO_DEPARTMENTS.length + 2, users: DEMO_USERS.length });
    const names = await mes.query<{ dept_name: string }>('SELECT dept_name FROM sys_dept');
    expect(names.map((row) => row.dept_name).sort()).toEqual(
      [...DEMO_DEPARTMENTS.map((department) => department.name), 'Production', 'Quality'].sort(),
    );
  });
});
