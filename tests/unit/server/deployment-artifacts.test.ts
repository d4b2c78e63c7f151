/**
 * The deployment artifacts (Dockerfile, deploy/compose.yaml, deploy/haproxy.cfg,
 * deploy/kubernetes/mes.yaml) checked without Docker: they parse, and what they name exists in the
 * code — every environment variable they set is read by the server, the commands they run are
 * commands of the CLI, the probes and health checks call /health and /health/ready on the port the
 * server listens on, the processes run unprivileged, and attached files live on storage every
 * instance shares.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { buildProgram } from '../../../generators/src/cli/program';

const ROOT = resolve(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Every TypeScript source of the server and the CLI, concatenated: what the code can read. */
const sources = (() => {
  const texts: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  for (const folder of ['platform/src', 'generators/src', 'metadata/src']) walk(join(ROOT, folder));
  return texts.join('\n');
})();
/** Names read as `env.NAME`, `env['NAME']` or named in a string ('NAME') next to an env lookup. */
const readByCode = (name: string) => new RegExp(`env\\.${name}\\b|['"\`]${name}['"\`]`).test(sources);

/** The CLI's commands: `serve`, `worker`, `backup`… */
const cliCommands = new Set(buildProgram().commands.map((command) => command.name()));

/** A command line `node bin/mes.js <command>` runs a real bin and a real command. */
const expectMesCommand = (argv: unknown) => {
  expect(argv).toEqual(['node', 'bin/mes.js', expect.any(String)]);
  const [, bin, command] = argv as string[];
  expect(existsSync(join(ROOT, bin))).toBe(true);
  expect(cliCommands).toContain(command);
};

interface Stage {
  from: string;
  lines: string[];
}
const dockerfile = read('Dockerfile')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const stages = dockerfile.reduce<Stage[]>((all, line) => {
  if (line.startsWith('FROM ')) all.push({ from: line, lines: [] });
  else all[all.length - 1]?.lines.push(line);
  return all;
}, []);
const finalStage = stages[stages.length - 1]!;
const instruction = (stage: Stage, name: string) =>
  stage.lines.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1));
const imageEnv = Object.fromEntries(
  instruction(finalStage, 'ENV')
    .join(' ')
    .split(/\s+/)
    .filter((pair) => pair.includes('='))
    .map((pair) => pair.split('=') as [string, string]),
);

describe('Dockerfile', () => {
  it('builds in stages and runs the last one as the unprivileged node user', () => {
    expect(stages.length).toBeGreaterThan(1);
    expect(instruction(finalStage, 'USER')).toEqual(['node']);
    // Nothing after USER switches back to root.
    const last = finalStage.lines.findIndex((line) => line.startsWith('USER '));
    expect(finalStage.lines.slice(last + 1).filter((line) => line.startsWith('RUN '))).toEqual([]);
  });

  it('starts `mes serve` through a real bin, on the port it exposes', () => {
    expectMesCommand(JSON.parse(instruction(finalStage, 'CMD')[0]!));
    expect(instruction(finalStage, 'EXPOSE')).toEqual([imageEnv.PORT]);
    for (const name of Object.keys(imageEnv)) {
      if (name === 'NODE_ENV' || name === 'MALLOC_MMAP_THRESHOLD_') continue;
      expect({ name, read: readByCode(name) }).toEqual({ name, read: true });
    }
  });

  it('copies only what exists in the repository or is built by `npm run build`', () => {
    const built = ['dist', 'ui-runtime/dist'];
    for (const copy of instruction(finalStage, 'COPY')) {
      const [source] = copy.replace(/^--from=\S+\s+/, '').split(/\s+/);
      if (copy.startsWith('--from=build')) expect(built).toContain(source!.replace(/^\/app\//, ''));
      else if (!copy.startsWith('--from='))
        expect({ source, exists: existsSync(join(ROOT, source!)) }).toEqual({ source, exists: true });
    }
    // bin/mes.js runs the compiled CLI from dist/ (tsc's outDir); the server serves ui-runtime/dist.
    const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string } };
    expect(tsconfig.compilerOptions.outDir.replace(/^\.\//, '')).toBe('dist');
    expect(read('bin/mes.js')).toContain(
      "path.join(__dirname, '..', 'dist', 'generators', 'src', 'cli', 'main.js')",
    );
    expect(read('platform/src/ui/static-app.ts')).toContain("join(REPO_ROOT, 'ui-runtime', 'dist')");
  });
});

type Service = {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, unknown> | string[];
  volumes?: string[];
  ports?: string[];
};

describe('deploy/compose.yaml', () => {
  const compose = parse(read('deploy/compose.yaml'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const mes = ['api1', 'api2', 'worker'];

  it('runs MariaDB, Redis, two API instances, a worker and HAProxy', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'api1',
      'api2',
      'haproxy',
      'mariadb',
      'redis',
      'worker',
    ]);
    expect(compose.services.api1!.environment!.MES_ROLE).toBe('api');
    expect(compose.services.api2!.environment!.MES_ROLE).toBe('api');
    expect(compose.services.worker!.environment!.MES_ROLE).toBe('worker');
    // api1 and api2 run the image's CMD (`mes serve`); the worker runs `mes worker`.
    expect(compose.services.api1!.command).toBeUndefined();
    expectMesCommand(compose.services.worker!.command);
    expect(compose.services.worker!.command![2]).toBe('worker');
  });

  it('sets only environment variables the server reads, pointing at the services of the file', () => {
    for (const name of mes) {
      const env = compose.services[name]!.environment!;
      for (const key of Object.keys(env)) expect({ key, read: readByCode(key) }).toEqual({ key, read: true });
      const database = new URL(env.DATABASE_URL!.replace(/\$\{[^}]+\}/, 'secret'));
      const mariadb = compose.services.mariadb!.environment!;
      expect([database.hostname, database.username, database.pathname.slice(1)]).toEqual([
        'mariadb',
        mariadb.MARIADB_USER,
        mariadb.MARIADB_DATABASE,
      ]);
      expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
    }
  });

  it('checks every MES process on /health/ready at the port of the image', () => {
    for (const name of mes) {
      const test = compose.services[name]!.healthcheck!.test.join(' ');
      expect(test).toContain(`http://127.0.0.1:${imageEnv.PORT}/health/ready`);
    }
    for (const name of ['mariadb', 'redis']) expect(compose.services[name]!.healthcheck).toBeDefined();
  });

  it('gives every MES process the same volume for attached files', () => {
    const filesDir = (name: string) =>
      compose.services[name]!.environment!.MES_FILES_DIR ?? join('/app', 'data', 'files');
    for (const name of mes) {
      const mount = (compose.services[name]!.volumes ?? []).find((volume) =>
        volume.endsWith(`:${filesDir(name)}`),
      );
      expect({ name, mount }).toEqual({ name, mount: 'files:/app/data/files' });
    }
    expect(compose.volumes).toHaveProperty('files');
  });

  it('puts HAProxy in front of both API instances, checking /health/ready', () => {
    const haproxy = read('deploy/haproxy.cfg');
    const servers = [...haproxy.matchAll(/^\s*server (\S+) (\S+):(\d+) check/gm)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]);
    expect(servers).toEqual([
      ['api1', 'api1', imageEnv.PORT],
      ['api2', 'api2', imageEnv.PORT],
    ]);
    expect(haproxy).toMatch(/option httpchk GET \/health\/ready/);
    const front = /frontend mes\s+bind :(\d+)/.exec(haproxy)?.[1];
    expect(compose.services.haproxy!.ports).toContain(`${front}:${front}`);
    expect(compose.services.haproxy!.volumes).toEqual([
      './haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
    ]);
  });
});

interface Container {
  name: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec: {
    accessModes?: string[];
    template?: {
      spec: {
        securityContext: { runAsNonRoot: boolean; runAsUser: number };
        containers: Container[];
        volumes: { name: string; emptyDir?: object; persistentVolumeClaim?: { claimName: string } }[];
      };
    };
  };
}

describe('deploy/kubernetes/mes.yaml', () => {
  const documents = parseAllDocuments(read('deploy/kubernetes/mes.yaml'));
  const manifests = documents.map((document) => document.toJS() as Manifest);
  const deployments = manifests.filter((m) => m.kind === 'Deployment');

  it('parses', () => {
    expect(documents.flatMap((document) => document.errors)).toEqual([]);
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Deployment',
      'PersistentVolumeClaim',
      'Service',
    ]);
  });

  it('runs `mes serve` and `mes worker` as a non-root user with probes on /health and /health/ready', () => {
    expect(deployments.map((d) => d.metadata.name)).toEqual(['btc-mes-api', 'btc-mes-worker']);
    for (const deployment of deployments) {
      const pod = deployment.spec.template!.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const container of pod.containers) {
        expectMesCommand(container.args);
        const port = container.ports[0]!;
        expect(port.containerPort).toBe(Number(imageEnv.PORT));
        expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: port.name });
        expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: port.name });
        expect(container.startupProbe?.httpGet).toEqual({ path: '/health', port: port.name });
      }
    }
    const [api, worker] = deployments.map((d) => d.spec.template!.spec.containers[0]!);
    expect(api!.args[2]).toBe('serve');
    expect(worker!.args[2]).toBe('worker');
  });

  it('sets only environment variables the server reads', () => {
    const config = manifests.find((m) => m.kind === 'ConfigMap')!;
    const names = [
      ...Object.keys(config.data ?? {}),
      ...deployments.flatMap((d) =>
        d.spec.template!.spec.containers.flatMap((c) => (c.env ?? []).map((e) => e.name)),
      ),
      // The Secret's keys, from the command at the top of the file.
      ...[...read('deploy/kubernetes/mes.yaml').matchAll(/--from-literal=([A-Z_]+)=/g)].map((m) => m[1]!),
    ];
    expect(names).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'MES_JWT_SECRET', 'MES_ENCRYPTION_KEY']),
    );
    for (const name of names) expect({ name, read: readByCode(name) }).toEqual({ name, read: true });
    for (const deployment of deployments)
      for (const container of deployment.spec.template!.spec.containers)
        expect(container.envFrom).toEqual([
          { configMapRef: { name: config.metadata.name } },
          { secretRef: { name: 'btc-mes' } },
        ]);
  });

  it('mounts one ReadWriteMany claim for attached files in every pod', () => {
    const claim = manifests.find((m) => m.kind === 'PersistentVolumeClaim')!;
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    for (const deployment of deployments) {
      const pod = deployment.spec.template!.spec;
      const volume = pod.volumes.find((v) => v.persistentVolumeClaim?.claimName === claim.metadata.name);
      expect(volume).toBeDefined();
      expect(pod.containers[0]!.volumeMounts).toContainEqual({
        name: volume!.name,
        mountPath: '/app/data/files',
      });
    }
  });
});
