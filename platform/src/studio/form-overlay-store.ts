import type { DataSource } from 'typeorm';
import type { FormOverlay } from '../../../metadata/src/studio/layer';
import type { SqlExecutor } from '../data/database';
import { nowForDb } from '../data/values';

interface OverlayRow {
  tenant_id: string;
  target: string;
  overlay: string | FormOverlay;
}

/** Per-tenant overlays of entity forms (`ext_form_overlay`, kind `form`), keyed `<tenant>/<entity>`. */
export type OverlayIndex = ReadonlyMap<string, FormOverlay>;

const KIND = 'form';

/** Reads and writes the form overlays analysts publish over the forms of core and plugin entities. */
export class FormOverlayStore {
  private cached: { modelVersion: number; index: Promise<OverlayIndex> } | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The active overlays, read once per Model version: a publish swaps a new Model in (here and, via
   * the metadata sync, on every instance), so the next request reads the overlays again.
   */
  forModel(modelVersion: number): Promise<OverlayIndex> {
    if (this.cached?.modelVersion !== modelVersion) {
      const index = this.readAll();
      this.cached = { modelVersion, index };
      index.catch(() => (this.cached = null));
    }
    return this.cached.index;
  }

  async all(): Promise<{ tenantId: string; entity: string; overlay: FormOverlay }[]> {
    const rows = (await this.dataSource.query(
      "SELECT tenant_id, target, overlay FROM ext_form_overlay WHERE kind = ? AND status = 'active' ORDER BY id",
      [KIND],
    )) as OverlayRow[];
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      entity: row.target,
      overlay: typeof row.overlay === 'string' ? (JSON.parse(row.overlay) as FormOverlay) : row.overlay,
    }));
  }

  /** Sets (or, with null, archives) the tenant's overlay of an entity's form. */
  async put(
    tx: SqlExecutor,
    tenantId: string,
    entity: string,
    overlay: FormOverlay | null,
    by: string | null,
  ): Promise<void> {
    const now = nowForDb();
    const status = overlay ? 'active' : 'archived';
    const json = JSON.stringify(overlay ?? {});
    const existing = await tx.query<{ id: number }>(
      'SELECT id FROM ext_form_overlay WHERE tenant_id = ? AND kind = ? AND target = ?',
      [tenantId, KIND, entity],
    );
    if (existing.length > 0)
      await tx.execute(
        'UPDATE ext_form_overlay SET overlay = ?, status = ?, updated_at = ?, updated_by = ?, version = version + 1 WHERE id = ?',
        [json, status, now, by, existing[0].id],
      );
    else if (overlay)
      await tx.execute(
        'INSERT INTO ext_form_overlay (tenant_id, target, kind, overlay, status, created_at, created_by, updated_at, updated_by, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)',
        [tenantId, entity, KIND, json, status, now, by, now, by],
      );
  }

  private async readAll(): Promise<OverlayIndex> {
    return new Map((await this.all()).map((o) => [`${o.tenantId}/${o.entity}`, o.overlay]));
  }
}
