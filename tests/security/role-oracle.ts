/**
 * The test's own reading of the role documents: which request each shipped role may make, derived
 * from the role YAML files alone. It shares no code with the engine's permission matrix, so a bug
 * there (or a change to a role file) shows up as a disagreement with what the server answers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const ROLES_DIR = join(__dirname, '..', '..', 'metadata', 'modules', 'organisation', 'roles');

interface RoleFile {
  role: string;
  permissions: string[];
  inherits?: string[];
}

/** What a matrix cell asks for, in the terms of the role documents. */
export type Requirement =
  | { kind: 'crud'; entity: string; action: 'list' | 'get' | 'create' | 'update' | 'delete' }
  | { kind: 'export' | 'import'; entity: string }
  | { kind: 'workflow'; entity: string; action: string; permission: string; roles: string[] }
  /** A route outside the entity API that needs every one of `codes`. */
  | { kind: 'route'; codes: string[] };

export class RoleOracle {
  private readonly roles = new Map<string, RoleFile>();

  constructor(rolesDir: string = ROLES_DIR) {
    for (const file of readdirSync(rolesDir).filter((name) => name.endsWith('.yaml'))) {
      const doc = parse(readFileSync(join(rolesDir, file), 'utf8')) as RoleFile;
      this.roles.set(doc.role, doc);
    }
  }

  roleNames(): string[] {
    return [...this.roles.keys()].sort();
  }

  /** Every code the role lists, its own and those of the roles it inherits from. */
  codesOf(role: string): string[] {
    const doc = this.roles.get(role);
    if (!doc) throw new Error(`No role document for '${role}'`);
    return [...doc.permissions, ...(doc.inherits ?? []).flatMap((parent) => this.codesOf(parent))];
  }

  /** `*` grants everything; otherwise each `:`-separated segment matches itself or `*`. */
  grants(role: string, code: string): boolean {
    const wanted = code.split(':');
    return this.codesOf(role).some((granted) => {
      if (granted === '*') return true;
      const parts = granted.split(':');
      return parts.length === wanted.length && parts.every((part, i) => part === '*' || part === wanted[i]);
    });
  }

  /**
   * Whether the role may make the request (row scope aside). Reading a list or a record needs
   * `<entity>:read`; a write needs its action; an export needs read and export; an import needs
   * import and create (the default import mode writes new rows); a workflow action needs to read the
   * record, the transition's permission and, when the transition names roles, one of them.
   */
  allows(role: string, need: Requirement): boolean {
    if (need.kind === 'route') return need.codes.every((code) => this.grants(role, code));
    const can = (action: string) => this.grants(role, `${need.entity}:${action}`);
    switch (need.kind) {
      case 'crud':
        return can(need.action === 'list' || need.action === 'get' ? 'read' : need.action);
      case 'export':
        return can('read') && can('export');
      case 'import':
        return can('import') && can('create');
      case 'workflow':
        return (
          can('read') &&
          this.grants(role, need.permission) &&
          (need.roles.length === 0 || need.roles.includes(role))
        );
    }
  }
}
