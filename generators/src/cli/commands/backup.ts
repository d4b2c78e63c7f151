import type { Command } from 'commander';
import pc from 'picocolors';
import { backup, loadDatabaseConfig, restore } from '../../../../platform/src';

export function register(program: Command): void {
  program
    .command('backup')
    .description(
      'back up the database (DATABASE_URL; mariadb-dump for MySQL/MariaDB, an online copy for SQLite) with the generated key files and a manifest of row counts into a new folder',
    )
    .argument('<folder>', 'where the backup is written (must not hold one already)')
    .action(async (folder: string) => {
      const manifest = await backup(loadDatabaseConfig(), folder, process.env);
      const rows = Object.values(manifest.tables).reduce((sum, n) => sum + n, 0);
      process.stdout.write(
        `${pc.green('✓')} ${manifest.source}: ${Object.keys(manifest.tables).length} tables, ${rows} rows, keys: ${Object.keys(manifest.keys).join(', ') || 'from the environment (keep them with the backup)'} → ${folder}\n`,
      );
      if (manifest.files)
        process.stdout.write(
          `${pc.yellow('!')} attached files are not in the backup: back up ${manifest.files.location} (${manifest.files.storage}) by its own means\n`,
        );
    });
  program
    .command('restore')
    .description(
      'restore a backup made by `mes backup` into the empty database DATABASE_URL names, put its key files in place, then compare row counts and verify the audit chain',
    )
    .argument('<folder>', 'a folder written by `mes backup`')
    .action(async (folder: string) => {
      const report = await restore(loadDatabaseConfig(), folder, process.env);
      for (const [table, [expected, found]] of Object.entries(report.countDifferences))
        process.stdout.write(
          `${pc.yellow('!')} ${table}: ${expected} rows in the backup, ${found} restored\n`,
        );
      for (const problem of report.audit.problems)
        process.stdout.write(
          `${pc.red('✗')} audit tenant ${problem.tenantId} seq ${problem.seq}: ${problem.message}\n`,
        );
      const tables = Object.keys(report.manifest.tables).length;
      process.stdout.write(
        report.audit.problems.length === 0 && Object.keys(report.countDifferences).length === 0
          ? `${pc.green('✓')} restored ${tables} tables with the counts of the backup; audit chain of ${report.audit.records} record(s) verified\n`
          : `restored with ${Object.keys(report.countDifferences).length} count difference(s) and ${report.audit.problems.length} audit problem(s)\n`,
      );
      if (report.manifest.files)
        process.stdout.write(
          `${pc.yellow('!')} attached files are not in the backup: they were kept in ${report.manifest.files.location} (${report.manifest.files.storage}); point MES_FILES_STORAGE/MES_FILES_DIR/S3_* at them or at their copy\n`,
        );
      // Counts were taken just before the dump: writes during the backup show as differences, not damage.
      if (report.audit.problems.length > 0) process.exitCode = 1;
    });
}
