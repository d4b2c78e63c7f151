/**
 * `mes metadata push` and `mes metadata pull --server` against a running server, as the analyst
 * (a token holding metadata:edit): files become a draft change set with its validation; after a
 * reviewer publishes it, pull writes the published metadata into a checkout and adopts the studio's
 * table there, so the migration generator finds no difference from the live schema.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { buildProgram } from '../../../generators/src/cli/program';
import { pendingSchemaChanges, SNAPSHOT_FILE } from '../../../generators/src/migrations/generate-migration';
import { compileModel } from '../../../metadata/src/model/compile';
import { validateMetadata } from '../../../metadata/src/validator';
import {
  ENGINEERING_PROBLEM as WITH_WORKFLOW,
  ENGINEERING_PROBLEM_FORM,
} from '../../support/engineering-problem';
import { startSecurityServer, type SecurityServer } from '../security/security-server';

const ROOT = resolve(__dirname, '../../..');
/** The scenario's entity without its workflow (a file of its own, not pushed here). */
const { workflow: _workflow, ...ENGINEERING_PROBLEM } = WITH_WORKFLOW;

/** Runs `mes …` in this process; returns what it printed on stdout and its exit code. */
async function mes(...args: string[]): Promise<{ out: string; code: number }> {
  const written: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  process.exitCode = 0;
  try {
    await buildProgram()
      .exitOverride()
      .parseAsync(['node', 'mes', ...args]);
    return { out: written.join(''), code: Number(process.exitCode ?? 0) };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = 0;
  }
}

describe('mes metadata push / pull --server', () => {
  let server: SecurityServer;
  let base: string;
  let work: string;

  beforeAll(async () => {
    server = await startSecurityServer('sqlite', 'studio-cli');
    await server.server.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(server.server.app.getHttpServer().address() as AddressInfo).port}`;
    work = mkdtempSync(join(tmpdir(), 'mes-studio-cli-'));
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('pushes files as a draft, and pulls the published version into a checkout without drift', async () => {
    const files = [
      [join(work, 'engineering-problem.yaml'), ENGINEERING_PROBLEM],
      [join(work, 'engineering-problem-form.yaml'), ENGINEERING_PROBLEM_FORM],
    ] as const;
    for (const [path, document] of files) writeFileSync(path, stringify(document));
    const analyst = await server.login('analyst');

    const pushed = await mes(
      'metadata',
      'push',
      ...files.map(([path]) => path),
      '--server',
      base,
      '--token',
      analyst,
      '--title',
      'Pushed from git',
      '--json',
    );
    expect(pushed.code).toBe(0);
    const result = JSON.parse(pushed.out) as { changeSet: { id: number; csNo: string }; valid: boolean };
    expect(result.valid).toBe(true);
    const draft = (
      await server.call('analyst', 'GET', `/api/studio/change-sets/${result.changeSet.id}`)
    ).json().data as {
      status: string;
      version: number;
      title: string;
      content: { documents: { entity?: string }[] };
    };
    expect(draft).toMatchObject({ status: 'DRAFT', title: 'Pushed from git' });
    expect(draft.content.documents.map((d) => Object.values(d)[0])).toEqual([
      'engineering_problem',
      'engineering_problem',
    ]);

    const submitted = await server.call(
      'analyst',
      'POST',
      `/api/studio/change-sets/${result.changeSet.id}/actions/submit`,
      {
        version: draft.version,
      },
    );
    const published = await server.call(
      'reviewer',
      'POST',
      `/api/studio/change-sets/${result.changeSet.id}/publish`,
      {
        version: submitted.json().data.record.version,
      },
    );
    expect(published.statusCode).toBe(200);

    // The operator holds no metadata:edit: the server refuses the pull.
    const checkout = join(work, 'checkout');
    mkdirSync(join(checkout, 'database', 'snapshots'), { recursive: true });
    cpSync(join(ROOT, 'metadata'), join(checkout, 'metadata'), { recursive: true });
    cpSync(join(ROOT, SNAPSHOT_FILE), join(checkout, SNAPSHOT_FILE));
    await expect(
      mes('metadata', 'pull', '--server', base, '--token', await server.login('operator'), '--out', checkout),
    ).rejects.toThrow(/403/);

    const pulled = await mes(
      'metadata',
      'pull',
      '--server',
      base,
      '--token',
      analyst,
      '--out',
      checkout,
      '--json',
    );
    expect(pulled.code).toBe(0);
    const written = JSON.parse(pulled.out) as { version: number; files: string[]; migration?: string };
    expect(written.version).toBe(1);
    expect(written.files).toEqual(
      expect.arrayContaining([
        'metadata/modules/quality/entities/engineering-problem.yaml',
        'metadata/modules/quality/forms/engineering-problem.yaml',
      ]),
    );
    expect(parse(readFileSync(join(checkout, written.files[0]!), 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(ENGINEERING_PROBLEM)),
    );
    expect(written.migration).toMatch(/^database\/migrations\/\d+-adopt-studio-version-1\.ts$/);
    const { set } = validateMetadata([checkout]);
    expect(pendingSchemaChanges(checkout, compileModel(set, { version: 1 }))).toEqual([]);
  }, 180_000);

  it('pulls a renamed and an archived entity as YAML that validates, and pushes it back without a diff', async () => {
    const label = (en: string) => ({ en, zh: en });
    const entity = (name: string) => ({
      entity: name,
      label: label(name.replace('_', ' ')),
      module: 'quality',
      database: 'core',
      display: 'title',
      fields: { title: { type: 'string', length: 80, required: true, label: label('Title') } },
      list: { columns: ['title'] },
    });
    const publishAll = async (title: string, documents: unknown[]): Promise<void> => {
      const created = (
        await server.call('analyst', 'POST', '/api/studio/change-sets', { title, content: { documents } })
      ).json().data as { id: number; version: number };
      const submitted = await server.call(
        'analyst',
        'POST',
        `/api/studio/change-sets/${created.id}/actions/submit`,
        { version: created.version },
      );
      const published = await server.call(
        'reviewer',
        'POST',
        `/api/studio/change-sets/${created.id}/publish`,
        {
          version: submitted.json().data.record.version,
        },
      );
      expect(published.statusCode).toBe(200);
    };
    await publishAll('Shift notes and memos', [entity('shift_note'), entity('shift_memo')]);
    const renamed = {
      ...entity('shift_note'),
      label: label('Shift record'),
      path: 'shift-records',
      pathAliases: ['shift-notes'],
    };
    const archived = { ...entity('shift_memo'), archived: true };
    await publishAll('Shift records; memos archived', [renamed, archived]);
    // The former path still names the entity: the operator, who may not read it, is refused by its
    // permission rather than told the path is unknown.
    const byFormerPath = await server.call('operator', 'GET', '/api/shift-notes');
    expect(byFormerPath.statusCode).toBe(403);
    expect(byFormerPath.json()).toMatchObject({
      code: 'FORBIDDEN',
      message: "Permission 'shift_note:read' required",
    });

    const checkout = join(work, 'renamed-and-archived');
    mkdirSync(join(checkout, 'database', 'snapshots'), { recursive: true });
    cpSync(join(ROOT, 'metadata'), join(checkout, 'metadata'), { recursive: true });
    cpSync(join(ROOT, SNAPSHOT_FILE), join(checkout, SNAPSHOT_FILE));
    const analyst = await server.login('analyst');
    const pulled = await mes(
      'metadata',
      'pull',
      '--server',
      base,
      '--token',
      analyst,
      '--out',
      checkout,
      '--json',
    );
    expect(pulled.code).toBe(0);
    const { files } = JSON.parse(pulled.out) as { files: string[] };
    const yamlOf = (name: string) =>
      parse(
        readFileSync(join(checkout, 'metadata/modules/quality/entities', `${name}.yaml`), 'utf8'),
      ) as Record<string, unknown>;
    expect(files).toEqual(
      expect.arrayContaining([
        'metadata/modules/quality/entities/shift-note.yaml',
        'metadata/modules/quality/entities/shift-memo.yaml',
      ]),
    );
    expect(yamlOf('shift-note')).toMatchObject({ path: 'shift-records', pathAliases: ['shift-notes'] });
    expect(yamlOf('shift-memo')).toMatchObject({ archived: true });

    const validated = await mes('validate', checkout, '--json');
    expect(validated.code).toBe(0);
    expect(
      (JSON.parse(validated.out) as { severity: string }[]).filter((d) => d.severity === 'error'),
    ).toEqual([]);

    // The checkout as a whole: what it adds to the repository is exactly the published studio layer.
    const pushed = await mes('metadata', 'push', checkout, '--server', base, '--token', analyst, '--json');
    expect(pushed.code).toBe(0);
    const check = JSON.parse(pushed.out) as {
      valid: boolean;
      changeSet: { id: number };
      diff: { schema: unknown[]; dropped?: unknown[]; api: unknown; documents: unknown };
    };
    expect(check.valid).toBe(true);
    expect(check.diff.schema).toEqual([]);
    expect(check.diff.dropped ?? []).toEqual([]);
    expect(check.diff.api).toEqual({ added: [], removed: [], changed: [] });
    expect(check.diff.documents).toEqual({ added: [], changed: [], removed: [] });
    const content = (
      await server.call('analyst', 'GET', `/api/studio/change-sets/${check.changeSet.id}`)
    ).json().data.content as { documents: Record<string, unknown>[] };
    expect(content.documents).toEqual(expect.arrayContaining([renamed, archived]));
  }, 180_000);
});
