import type { Command } from 'commander';
import pc from 'picocolors';
import {
  EngineDatabase,
  createDataSource,
  loadDatabaseConfig,
  sealAuditChains,
  verifyAuditChain,
} from '../../../../platform/src';

interface VerifyOptions {
  tenant?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const audit = program
    .command('audit')
    .description('the hash-chained audit trail (DATABASE_URL selects the database)');
  audit
    .command('verify')
    .description(
      'seal committed records not yet linked, then recompute every tenant chain; exit 1 when a record was edited or deleted',
    )
    .option('--tenant <id>', 'verify one tenant only')
    .option('--json', 'print the report as JSON')
    .action((options: VerifyOptions) => verify(options));
}

async function verify(options: VerifyOptions): Promise<void> {
  const dataSource = await createDataSource(loadDatabaseConfig());
  try {
    const database = new EngineDatabase(dataSource);
    await sealAuditChains(database, options.tenant);
    const report = await verifyAuditChain(database.executor(), options.tenant);
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      for (const problem of report.problems)
        process.stdout.write(
          `${pc.red('✗')} tenant ${problem.tenantId} seq ${problem.seq} ${problem.kind}: ${problem.message}\n`,
        );
      const summary = `${report.records} record(s) in ${report.tenants} tenant chain(s)`;
      process.stdout.write(
        report.problems.length === 0
          ? `${pc.green('✓')} ${summary} verified\n`
          : `${report.problems.length} problem(s) in ${summary}\n`,
      );
    }
    if (report.problems.length > 0) process.exitCode = 1;
  } finally {
    await dataSource.destroy();
  }
}
