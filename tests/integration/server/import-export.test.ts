import ExcelJS from 'exceljs';
import { parseCsv } from '../../../platform/src/crud/http/csv';
import { startTestServer, type TestServer } from './server-harness';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface ImportBody {
  code: string;
  data: {
    dryRun: boolean;
    rows: number;
    created: number;
    errors: { row: number; errors: { field: string; rule: string }[] }[];
  };
  rows?: { row: number; errors: { field: string; rule: string }[] }[];
}

let test: TestServer;

beforeAll(async () => {
  test = await startTestServer();
});
afterAll(async () => {
  await test?.stop();
});

async function importFile(payload: string | Buffer, contentType: string, query = '') {
  const response = await test.server.app.inject({
    method: 'POST',
    url: `/api/production-lines/import${query}`,
    headers: { 'content-type': contentType },
    payload,
  });
  return { status: response.statusCode, body: response.json<ImportBody>() };
}

async function lineCount(): Promise<number> {
  const response = await test.server.app.inject({ method: 'GET', url: '/api/production-lines?count=exact' });
  return response.json<{ data: { total: number } }>().data.total;
}

describe('import', () => {
  it('dry run reports every bad row with its file row number and writes nothing', async () => {
    const csv = 'lineCode,lineName,active\r\nL1,"Line, one",true\r\nbad code,Two,yes\r\nL3,,maybe\r\n';
    const { status, body } = await importFile(csv, 'text/csv', '?dryRun=true');
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ dryRun: true, rows: 3, created: 0 });
    const byRow = Object.fromEntries(
      body.data.errors.map((e) => [e.row, e.errors.map((f) => `${f.field}:${f.rule}`)]),
    );
    expect(Object.keys(byRow)).toEqual(['3', '4']);
    expect(byRow[3]).toEqual(['lineCode:pattern']);
    expect(byRow[4]).toEqual(['active:type']);
    expect(await lineCount()).toBe(0);
  });

  it('dry run runs the engine validators once the cells are well typed', async () => {
    const { body } = await importFile(
      'lineCode,lineName\r\nL1,One\r\nbad code,Two\r\n',
      'text/csv',
      '?dryRun=true',
    );
    expect(body.data.errors).toHaveLength(1);
    expect(body.data.errors[0]).toMatchObject({ row: 3, errors: [{ field: 'lineCode', rule: 'pattern' }] });
    expect(await lineCount()).toBe(0);
  });

  it('numbers rows as a spreadsheet does, blank rows included', async () => {
    const { body } = await importFile(
      'lineCode,lineName\r\n\r\nL1,One\r\n,\r\nbad code,Two\r\n',
      'text/csv',
      '?dryRun=true',
    );
    expect(body.data.rows).toBe(2);
    expect(body.data.errors.map((e) => e.row)).toEqual([5]);
  });

  it('rejects unknown columns instead of dropping their data', async () => {
    const { body } = await importFile('lineCode,lineNmae\r\nL1,One\r\n', 'text/csv', '?dryRun=true');
    expect(body.data.errors[0]).toMatchObject({ row: 1, errors: [{ field: 'lineNmae', rule: 'unknown' }] });
  });

  it('a real import with a bad row writes nothing and answers 422 with file row numbers', async () => {
    const { status, body } = await importFile('lineCode,lineName\r\nL1,One\r\nbad code,Two\r\n', 'text/csv');
    expect(status).toBe(422);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.rows?.[0]).toMatchObject({ row: 3 });
    expect(await lineCount()).toBe(0);
  });

  it('imports a valid CSV', async () => {
    const { status, body } = await importFile(
      'lineCode,lineName,active\r\nL1,"Line ""one"", north",true\r\nL2,Two,false\r\n',
      'text/csv',
    );
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ dryRun: false, rows: 2, created: 2, errors: [] });
  });

  it('imports an XLSX file with native cell types', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('lines');
    sheet.addRow(['lineCode', 'lineName', 'active']);
    sheet.addRow(['X1', 'Excel one', true]);
    sheet.addRow(['X2', 'Excel two', false]);
    const buffer = Buffer.from(await workbook.xlsx.writeBuffer());
    const { status, body } = await importFile(buffer, XLSX);
    expect(status).toBe(200);
    expect(body.data.created).toBe(2);
  });

  it('answers 400 for an unreadable file and for a malformed CSV', async () => {
    expect((await importFile(Buffer.from('not a zip'), XLSX)).status).toBe(400);
    expect((await importFile('lineCode\r\n"unterminated\r\n', 'text/csv')).status).toBe(400);
  });
});

describe('export', () => {
  beforeAll(async () => {
    const rows = Array.from({ length: 1203 }, (_, i) => ({
      lineCode: `E${i}`,
      lineName: `Export, "line" ${i}`,
      active: i % 2 === 0,
    }));
    for (let start = 0; start < rows.length; start += 300) {
      const chunk = rows.slice(start, start + 300);
      const response = await test.server.app.inject({
        method: 'POST',
        url: '/api/production-lines/bulk',
        payload: { mode: 'create', rows: chunk },
      });
      expect(response.statusCode).toBe(200);
    }
  });

  it('streams every matching row as CSV across keyset pages, and the file imports back', async () => {
    const response = await test.server.app.inject({
      method: 'GET',
      url: '/api/production-lines/export?format=csv&filter[lineCode][startsWith]=E',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const [header, ...rows] = parseCsv(response.body);
    expect(header.slice(0, 4)).toEqual(['id', 'version', 'createdAt', 'updatedAt']);
    expect(rows).toHaveLength(1203);
    const lineName = header.indexOf('lineName');
    expect(rows.map((r) => r[lineName])).toContain('Export, "line" 7');

    const codeColumn = header.indexOf('lineCode');
    const reimport = [
      ['lineCode', 'lineName', 'active'].join(','),
      ...rows.map((r) =>
        [`R${r[codeColumn]}`, `"${r[lineName].replace(/"/g, '""')}"`, r[header.indexOf('active')]].join(','),
      ),
    ].join('\r\n');
    const { status, body } = await importFile(reimport, 'text/csv', '?dryRun=true');
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ rows: 1203, errors: [] });
  });

  it('streams XLSX that reads back with the same rows', async () => {
    const response = await test.server.app.inject({
      method: 'GET',
      url: '/api/production-lines/export?format=xlsx&filter[lineCode][startsWith]=E&sort=lineCode',
    });
    expect(response.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0];
    expect(sheet.rowCount).toBe(1204);
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    const first = (sheet.getRow(2).values as unknown[]).slice(1);
    expect(first[header.indexOf('lineCode')]).toBe('E0');
    expect(first[header.indexOf('active')]).toBe(true);
  });

  it('answers 400 before streaming when the query is bad', async () => {
    const bad = await test.server.app.inject({
      method: 'GET',
      url: '/api/production-lines/export?format=pdf',
    });
    expect(bad.statusCode).toBe(400);
    const unknown = await test.server.app.inject({
      method: 'GET',
      url: '/api/production-lines/export?filter[nope][eq]=1',
    });
    expect(unknown.json()).toMatchObject({ code: 'UNKNOWN_FIELD' });
  });
});

describe('formula neutralisation', () => {
  const formula = '=HYPERLINK("http://evil.example","open")';

  beforeAll(async () => {
    const response = await test.server.app.inject({
      method: 'POST',
      url: '/api/production-lines',
      payload: { lineCode: 'F1', lineName: formula },
    });
    expect(response.statusCode).toBe(201);
  });

  it('prefixes formula-like text with an apostrophe in CSV, and the file imports back unchanged', async () => {
    const response = await test.server.app.inject({
      method: 'GET',
      url: '/api/production-lines/export?format=csv&filter[lineCode][eq]=F1',
    });
    const [header, row] = parseCsv(response.body);
    const exported = row[header.indexOf('lineName')];
    expect(exported).toBe(`'${formula}`);
    const text = `lineCode,lineName\r\nF2,"${exported.replace(/"/g, '""')}"\r\n`;
    const { status } = await importFile(text, 'text/csv');
    expect(status).toBe(200);
    const read = await test.server.app.inject({
      method: 'GET',
      url: '/api/production-lines?filter[lineCode][eq]=F2',
    });
    expect(read.json<{ data: { items: { lineName: string }[] } }>().data.items[0].lineName).toBe(formula);
  });

  it('prefixes formula-like text cells in XLSX', async () => {
    const response = await test.server.app.inject({
      method: 'GET',
      url: '/api/production-lines/export?format=xlsx&filter[lineCode][eq]=F1',
    });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0];
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    const row = (sheet.getRow(2).values as unknown[]).slice(1);
    expect(row[header.indexOf('lineName')]).toBe(`'${formula}`);
    expect(typeof row[header.indexOf('id')]).toBe('number');
  });
});
