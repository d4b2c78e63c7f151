import { CommanderError } from 'commander';
import { stripVTControlCharacters } from 'node:util';
import { buildProgram } from '../../generators/src/cli/program';

export interface MesRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface MesRunOptions {
  /** Working directory for the run (restored afterwards). */
  cwd?: string;
  /** Environment variables set for the run (restored afterwards). */
  env?: Record<string, string>;
}

/**
 * Runs `mes <args>` in-process and captures what it printed. Colours are stripped: picocolors turns them
 * on whenever `CI` or `FORCE_COLOR` is set, and the tests check the text, not the terminal styling.
 */
export async function runMes(args: readonly string[], options: MesRunOptions = {}): Promise<MesRun> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const previousEnv = Object.fromEntries(
    Object.keys(options.env ?? {}).map((key) => [key, process.env[key]]),
  );
  Object.assign(process.env, options.env);
  const previousCwd = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  const previousExitCode = process.exitCode;
  process.exitCode = 0;
  try {
    let exitCode: number;
    try {
      await buildProgram()
        .exitOverride()
        .parseAsync(['node', 'mes', ...args]);
      exitCode = Number(process.exitCode ?? 0);
    } catch (error) {
      // exitOverride turns commander's process.exit (after --help, on usage errors) into this error.
      if (!(error instanceof CommanderError)) throw error;
      exitCode = error.exitCode;
    }
    return { stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr), exitCode };
  } finally {
    process.exitCode = previousExitCode;
    process.chdir(previousCwd);
    for (const [key, value] of Object.entries(previousEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    out.mockRestore();
    err.mockRestore();
  }
}
