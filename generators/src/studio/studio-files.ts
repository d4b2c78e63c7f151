/**
 * Published Metadata Studio documents as YAML files in the repository layout
 * (`metadata/modules/<module>/<kind>s/<name>.yaml`), and YAML files back into change-set content.
 * A file that would replace metadata the repository already declares differently is a conflict:
 * reported, never written.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import type { LoadedDocument } from '../../../metadata/src/loader';
import { documentKey, type StudioDocument, type StudioLayer } from '../../../metadata/src/studio/layer';

export interface StudioFile {
  /** Path relative to the output folder. */
  path: string;
  text: string;
}

export interface StudioConflict {
  document: string;
  path: string;
  message: string;
}

const FOLDERS: Record<string, string> = {
  entity: 'entities',
  form: 'forms',
  workflow: 'workflows',
  menu: 'menus',
  permission: 'permissions',
  role: 'roles',
  dashboard: 'dashboards',
  rule: 'rules',
};

const FALLBACK_MODULE = 'organisation';

function kebab(name: string): string {
  return name.replace(/[_:]/g, '-');
}

/**
 * The files of a published layer, placed by module as a developer would write them; grants to roles
 * the repository declares are written as that role's file with the codes added. `repository` holds
 * the repository's documents (for modules of forms and workflows of its entities, and conflicts).
 */
export function studioFiles(
  layer: StudioLayer,
  repository: readonly LoadedDocument[],
  root: string,
): { files: StudioFile[]; conflicts: StudioConflict[] } {
  const files: StudioFile[] = [];
  const conflicts: StudioConflict[] = [];
  const declared = new Map(repository.map((d) => [`${d.kind}:${d.name}`, d]));
  const moduleOfEntity = (entity: unknown): string => {
    const inLayer = layer.documents.find((d) => documentKey(d)?.kind === 'entity' && d.entity === entity);
    const module = inLayer?.module ?? declared.get(`entity:${String(entity)}`)?.data.module;
    return typeof module === 'string' ? module : FALLBACK_MODULE;
  };
  for (const document of layer.documents) {
    const key = documentKey(document);
    if (!key) continue;
    const module =
      key.kind === 'module'
        ? key.name
        : key.kind === 'form' || key.kind === 'workflow'
          ? moduleOfEntity(document.entity)
          : typeof document.module === 'string'
            ? document.module
            : FALLBACK_MODULE;
    const path =
      key.kind === 'module'
        ? join('metadata', 'modules', module, 'module.yaml')
        : join('metadata', 'modules', module, FOLDERS[key.kind] ?? `${key.kind}s`, `${kebab(key.name)}.yaml`);
    const text = stringify(document, { lineWidth: 0 });
    const existing = declared.get(`${key.kind}:${key.name}`);
    if (existing) {
      const at = relative(root, existing.file);
      if (at !== path || JSON.stringify(existing.data) !== JSON.stringify(document)) {
        conflicts.push({
          document: `${key.kind}:${key.name}`,
          path: at,
          message: `the repository declares ${key.kind} \`${key.name}\` in ${at} differently; merge the studio version by hand`,
        });
        continue;
      }
    }
    files.push({ path, text });
  }
  for (const [role, codes] of Object.entries(layer.grants)) {
    const existing = declared.get(`role:${role}`);
    const fromLayer = layer.documents.some((d) => documentKey(d)?.kind === 'role' && d.role === role);
    if (fromLayer) continue;
    if (!existing) {
      conflicts.push({
        document: `role:${role}`,
        path: '',
        message: `grants name role \`${role}\`, which the repository does not declare`,
      });
      continue;
    }
    const permissions = Array.isArray(existing.data.permissions)
      ? (existing.data.permissions as string[])
      : [];
    const missing = codes.filter((code) => !permissions.includes(code));
    if (missing.length === 0) continue;
    const source = readFileSync(existing.file, 'utf8');
    files.push({ path: relative(root, existing.file), text: withPermissions(source, missing) });
  }
  return { files, conflicts };
}

/** The role file with codes appended to its `permissions:` list, comments and layout kept. */
function withPermissions(source: string, codes: readonly string[]): string {
  const lines = source.split('\n');
  const start = lines.findIndex((line) => /^permissions:\s*$/.test(line));
  if (start < 0) {
    const data = parse(source) as Record<string, unknown>;
    const permissions = [...((data.permissions as string[] | undefined) ?? []), ...codes];
    return stringify({ ...data, permissions }, { lineWidth: 0 });
  }
  let end = start + 1;
  while (end < lines.length && /^\s+-\s/.test(lines[end])) end++;
  lines.splice(end, 0, ...codes.map((code) => `  - ${code}`));
  return lines.join('\n');
}

/** The YAML files of the given paths: a folder stands for every `.yaml` file under it. */
export function yamlFilesOf(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    if (!existsSync(path)) throw new Error(`${path} does not exist`);
    if (!statSync(path).isDirectory()) return [path];
    return (readdirSync(path, { recursive: true }) as string[])
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => join(path, name));
  });
}

/**
 * Change-set content from YAML files: each file's document; a role the repository already declares
 * becomes a grant of the permissions the file adds to it, and a document the repository declares
 * exactly so adds nothing (a pulled checkout holds the repository's metadata besides the studio's).
 */
export function contentFromFiles(
  paths: readonly string[],
  repository: readonly LoadedDocument[],
): { documents: StudioDocument[]; grants: Record<string, string[]> } {
  const documents: StudioDocument[] = [];
  const grants: Record<string, string[]> = {};
  for (const path of yamlFilesOf(paths)) {
    const document = parse(readFileSync(path, 'utf8')) as StudioDocument;
    const key = documentKey(document);
    if (!key) throw new Error(`${path}: the first key must name a document kind`);
    const declared = repository.find((d) => d.kind === key.kind && d.name === key.name);
    if (declared && JSON.stringify(declared.data) === JSON.stringify(document)) continue;
    if (key.kind === 'role' && declared) {
      const had = new Set((declared.data.permissions as string[] | undefined) ?? []);
      const added = ((document.permissions as string[] | undefined) ?? []).filter((code) => !had.has(code));
      if (added.length > 0) grants[key.name] = added;
      continue;
    }
    documents.push(document);
  }
  return { documents, grants };
}
