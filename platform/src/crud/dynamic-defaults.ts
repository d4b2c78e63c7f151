/**
 * Field defaults that depend on the write: `$user` (the signed-in user: the user id for a relation,
 * the id as text otherwise), `$now` (UTC timestamp) and `$today` (UTC date). Literal defaults pass
 * through unchanged.
 */
import type { CompiledField } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { ValidationError } from './errors';
import type { RequestContext } from './types';

export function resolveDefault(field: CompiledField, ctx: RequestContext, now: Date): unknown {
  const value = field.def.default;
  if (value === '$now') return now.toISOString();
  if (value === '$today') return now.toISOString().slice(0, 10);
  if (value !== '$user') return value;
  const userId = field.type === 'relation' ? Number(ctx.userId) : ctx.userId;
  const known = field.type === 'relation' ? Number.isSafeInteger(userId) && Number(userId) > 0 : !!userId;
  if (known) return userId;
  if (!field.required) return null;
  const property = apiPropertyOf(field);
  throw new ValidationError([
    {
      field: property,
      path: `/${property}`,
      rule: 'required',
      message: `${property} is required: its default is the signed-in user, and this request has none`,
    },
  ]);
}
