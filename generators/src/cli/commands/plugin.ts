import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  MetadataSync,
  ModelRegistry,
  PluginManager,
  buildPluginPackage,
  createDataSource,
  describeDatabase,
  EngineDatabase,
  engineVersion,
  loadAppConfig,
  loadDatabaseConfig,
  pluginCatalog,
  pluginSettings,
  readSigningKey,
  SIGNATURE_HEADER,
  SIGNATURE_SUFFIX,
  type MetadataActor,
  type PluginInfo,
} from '../../../../platform/src';
import { findRepoRoot } from '../repo-root';

interface BuildOptions {
  out?: string;
  sign?: string;
  json?: boolean;
}

interface InstallOptions {
  server?: string;
  token?: string;
  enable?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const plugin = program.command('plugin').description('build plugin packages and install them');

  plugin
    .command('build')
    .description(
      'compile the server code and pack <dir> into <name>-<version>.tgz with its sha256 (<file>.sha256)' +
        ' and, with --sign, its Ed25519 signature (<file>.sig)',
    )
    .argument('<dir>', 'the plugin folder (holding plugin.yaml)')
    .option('--out <dir>', 'where to write the package', '.')
    .option('--sign <private-key.pem>', 'sign the package with this Ed25519 private key (PKCS#8 PEM)')
    .option('--json', 'print the result as JSON')
    .action((dir: string, options: BuildOptions) => build(dir, options));

  plugin
    .command('install')
    .description(
      'install a plugin folder or .tgz: into the database of DATABASE_URL, or through a running server with --server',
    )
    .argument(
      '<path>',
      'a plugin folder or a package built by `mes plugin build` (its <file>.sig is sent along when present)',
    )
    .option('--server <url>', 'install through the admin API of this server (e.g. http://localhost:3000)')
    .option('--token <token>', 'bearer token of an admin for --server (default: MES_TOKEN)')
    .option('--enable', 'enable the plugin right after installing it')
    .option('--json', 'print the installed plugin as JSON')
    .action((path: string, options: InstallOptions) => install(path, options));
}

async function build(dir: string, options: BuildOptions): Promise<void> {
  const signingKey = options.sign ? readSigningKey(resolve(options.sign)) : undefined;
  const built = await buildPluginPackage(resolve(dir), resolve(options.out ?? '.'), signingKey);
  if (options.json) process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
  else
    process.stdout.write(
      `${built.file}\n  sha256   ${built.sha256}\n  checksum ${built.checksum} (content, as ext_plugin records it)\n` +
        (built.signatureFile ? `  signed   ${built.signatureFile}\n` : ''),
    );
}

async function install(path: string, options: InstallOptions): Promise<void> {
  const source = resolve(path);
  if (!existsSync(source)) throw new Error(`${source} does not exist`);
  const info = options.server ? await installRemote(source, options) : await installLocal(source, options);
  if (options.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
  else
    process.stdout.write(`plugin ${info.name} ${info.version} ${info.status} (checksum ${info.checksum})\n`);
}

/** Through POST /api/admin/plugins: a folder is packed first, the server receives the .tgz. */
async function installRemote(source: string, options: InstallOptions): Promise<PluginInfo> {
  const token = options.token ?? process.env.MES_TOKEN;
  let archive: Buffer;
  let signature: string | undefined;
  if (statSync(source).isDirectory()) {
    const out = mkdtempSync(join(tmpdir(), 'mes-plugin-install-'));
    try {
      archive = readFileSync((await buildPluginPackage(source, out)).file);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  } else {
    archive = readFileSync(source);
    signature = signatureBeside(source);
  }
  const url = new URL('/api/admin/plugins', options.server);
  if (options.enable) url.searchParams.set('enable', 'true');
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/gzip',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(signature ? { [SIGNATURE_HEADER]: signature } : {}),
    },
    body: archive,
  });
  const body = (await response.json()) as { data?: PluginInfo; code?: string; message?: string };
  if (!response.ok || !body.data)
    throw new Error(`${url.origin} answered ${response.status} ${body.code ?? ''}: ${body.message ?? ''}`);
  return body.data;
}

/**
 * Straight into the database: checks, migrates and registers like the admin API. Running servers
 * follow through Redis when REDIS_URL is set (otherwise at their next restart).
 */
async function installLocal(source: string, options: InstallOptions): Promise<PluginInfo> {
  const root = findRepoRoot();
  const config = loadDatabaseConfig();
  const dataSource = await createDataSource(config);
  try {
    await dataSource.query('SELECT 1 FROM ext_plugin WHERE 1 = 0').catch(() => {
      throw new Error(`${describeDatabase(config)} has no ext_plugin table: run \`mes migrate run\` first`);
    });
    const settings = pluginSettings(process.env, root);
    const plugins = new PluginManager({
      database: new EngineDatabase(dataSource),
      roots: [root],
      catalog: pluginCatalog([root]),
      engineVersion: engineVersion(),
      storeRoot: settings.storeRoot,
      trustedKeys: settings.trustedKeys,
    });
    plugins.bind(new ModelRegistry(await plugins.initialModel()));
    const redisUrl = process.env.REDIS_URL;
    const sync = redisUrl
      ? await MetadataSync.start(redisUrl, plugins, (error) =>
          process.stderr.write(`metadata sync: ${String(error)}\n`),
        )
      : null;
    try {
      const enable = options.enable === true;
      const by = cliActor();
      return statSync(source).isDirectory()
        ? await plugins.install(source, by, enable)
        : await plugins.installPackage(readFileSync(source), by, enable, signatureBeside(source));
    } finally {
      await sync?.close();
    }
  } finally {
    await dataSource.destroy();
  }
}

/** The `.sig` file `mes plugin build --sign` wrote beside the package, if any. */
function signatureBeside(file: string): string | undefined {
  const signatureFile = `${file}${SIGNATURE_SUFFIX}`;
  return existsSync(signatureFile) ? readFileSync(signatureFile, 'utf8').trim() : undefined;
}

/** The command line changes plugins as `mes-cli`, run by this operating-system user, audited in the default tenant. */
function cliActor(): MetadataActor {
  return {
    tenantId: loadAppConfig(process.env).defaultTenant,
    id: 'mes-cli',
    name: process.env.USER ?? process.env.USERNAME ?? null,
    ip: null,
    userAgent: 'mes plugin install',
    traceId: null,
  };
}
