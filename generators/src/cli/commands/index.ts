import type { Command } from 'commander';
import * as audit from './audit';
import * as backupCommands from './backup';
import * as bi from './bi';
import * as generate from './generate';
import * as keys from './keys';
import * as metadata from './metadata';
import * as migrate from './migrate';
import * as newCommand from './new';
import * as openapi from './openapi';
import * as plugin from './plugin';
import * as serve from './serve';
import * as users from './users';
import * as validate from './validate';
import * as worker from './worker';

/** A CLI command: one file per command under commands/, each exporting `register`. */
export interface CommandModule {
  register(program: Command): void;
}

/** Every command of `mes`; add a new command's module here. */
export const COMMANDS: readonly CommandModule[] = [
  serve,
  validate,
  metadata,
  generate,
  migrate,
  newCommand,
  worker,
  audit,
  backupCommands,
  bi,
  keys,
  plugin,
  users,
  openapi,
];
