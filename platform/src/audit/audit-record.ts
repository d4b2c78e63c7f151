import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** Table of the `audit_log` entity (logical database `log`) and of the chain heads. */
export const AUDIT_TABLE = 'audit_log';
export const CHAIN_HEAD_TABLE = 'audit_chain_head';

/** Mutations of records, plus the security events written to the same chain. */
export type AuditAction =
  | 'CREATE'
  | 'UPDATE'
  | 'DELETE'
  | 'RESTORE'
  | 'TRANSITION'
  | 'APPROVE'
  | 'UNMASK'
  | 'EXPORT'
  | 'IMPORT'
  | 'METADATA_PUBLISH'
  | 'METADATA_CHANGE'
  | 'PERMISSION_CHANGE'
  | 'LOGIN'
  | 'LOGIN_FAILED'
  | 'LOGOUT';

/** The columns of one audit record that the hash covers, as stored. */
export interface ChainedAuditRecord {
  tenant_id: string;
  seq: number;
  prev_hash: string | null;
  actor_id: string;
  actor_name: string | null;
  entity_name: string;
  record_id: string;
  action: string;
  transition: string | null;
  changed_fields: unknown;
  diff: unknown;
  reason: string | null;
  ip: string | null;
  user_agent: string | null;
  trace_id: string | null;
  /** UTC `YYYY-MM-DD HH:MM:SS`: second precision survives every DATETIME column unchanged. */
  occurred_at: string;
}

/** The select list of the hashed columns, for sealing and verifying. */
export function hashedColumns(quote: (identifier: string) => string): string {
  return (
    `tenant_id, seq, prev_hash, actor_id, actor_name, entity_name, record_id, ${quote('action')}, transition, ` +
    'changed_fields, diff, reason, ip, user_agent, trace_id, occurred_at'
  );
}

/**
 * A row as read back from `audit_log`, in the form that is hashed: the sealer hashes exactly what
 * the verifier will read, whatever the dialect did to dates and JSON on the way in.
 */
export function storedAuditRecord(row: ChainedAuditRecord): ChainedAuditRecord {
  return {
    ...row,
    seq: Number(row.seq),
    occurred_at: String(row.occurred_at).slice(0, 19).replace('T', ' '),
    changed_fields: parseJsonColumn(row.changed_fields),
    diff: parseJsonColumn(row.diff),
  };
}

/** SHA-256 over the previous hash and the canonical JSON of the record. */
export function hashAuditRecord(record: ChainedAuditRecord): string {
  const { prev_hash: prev, ...content } = record;
  return createHash('sha256')
    .update(`${prev ?? ''}\n${canonicalJson({ ...content, seq: Number(content.seq) })}`)
    .digest('hex');
}

export function toSqlDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** JSON columns come back as text (SQLite, MariaDB) or parsed (MySQL). */
export function parseJsonColumn(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
