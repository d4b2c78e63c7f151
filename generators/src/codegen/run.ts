import type { Diagnostic } from '../../../metadata/src/diagnostic';
import { didYouMean } from '../../../metadata/src/suggest';
import { validateMetadata } from '../../../metadata/src/validator';
import { generateOutputs } from './pipeline';
import { applySync, planSync, type OutputState } from './sync';

export interface GenerateRequest {
  root: string;
  /** Compare only; write nothing. */
  check: boolean;
  /** Regenerate only this entity's outputs (and the shared files). */
  entity?: string;
  templateDir?: string;
  onProgress?: (generator: string, files: number) => void;
}

export interface GenerateReport {
  /** False when metadata has errors (nothing generated) or, with check, when outputs are out of date. */
  ok: boolean;
  check: boolean;
  outputs: number;
  /** In check mode what would change; otherwise what was written or removed. */
  changes: OutputState[];
  errors: Diagnostic[];
}

/** `mes generate`: validate the metadata of the project at `root`, generate, then check or write. */
export async function runGenerate(request: GenerateRequest): Promise<GenerateReport> {
  const { set, diagnostics } = validateMetadata([request.root]);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { ok: false, check: request.check, outputs: 0, changes: [], errors };
  if (request.entity !== undefined && !set.entities.has(request.entity)) {
    const hint = didYouMean(request.entity, set.entities.keys());
    throw new Error(`entity '${request.entity}' does not exist${hint ? `; ${hint}` : ''}`);
  }
  const files = await generateOutputs(set, request);
  const plan = planSync(request.root, files, { partial: request.entity !== undefined });
  if (!request.check) applySync(request.root, files, plan);
  return {
    ok: !request.check || plan.changes.length === 0,
    check: request.check,
    outputs: files.length,
    changes: plan.changes,
    errors: [],
  };
}
