import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { countErrors } from '../../../../metadata/src/diagnostic';
import { compileModel } from '../../../../metadata/src/model';
import { validateMetadata } from '../../../../metadata/src/validator';
import { buildOpenApiDocument } from '../../../../platform/src';
import { formatDiagnostic } from '../format-diagnostics';
import { findRepoRoot } from '../repo-root';

/**
 * `mes openapi --out <file>`: the OpenAPI document of the project's metadata (core modules and
 * plugins) without starting a server: every platform and entity route. The routes a plugin's server
 * code registers under /api/plugins/<name> exist only once it runs, enabled, in a server, so they are
 * in the document that server serves at /api-docs/json and not in this one.
 */
export function register(program: Command): void {
  program
    .command('openapi')
    .description(
      'write the OpenAPI document of the project metadata (as /api-docs/json serves it, less the routes of plugin server code)',
    )
    .requiredOption('--out <file>', 'file to write the JSON document to')
    .action((options: { out: string }) => {
      const { set, diagnostics } = validateMetadata([findRepoRoot()]);
      if (countErrors(diagnostics) > 0) {
        for (const diagnostic of diagnostics)
          process.stderr.write(`${formatDiagnostic(diagnostic, process.cwd())}\n`);
        process.exitCode = 1;
        return;
      }
      const document = buildOpenApiDocument(compileModel(set, { version: 1 }));
      const out = resolve(options.out);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
      process.stdout.write(`OpenAPI document written to ${out}\n`);
    });
}
