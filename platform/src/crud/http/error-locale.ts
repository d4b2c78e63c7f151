/**
 * Error messages in the caller's language. The engine raises its errors in English with a stable
 * code, and per field a stable `rule` and `limit`; at the HTTP boundary the envelope's texts are
 * rewritten from those for a caller whose `Accept-Language` prefers Chinese. Codes, rules, paths and
 * limits never change, so clients that branch on them are unaffected; messages metadata gives in
 * both languages (guard messages, rule refusals, workflow refusals naming states and actions by
 * their labels) are taken from it; a field is named by its label when the error carries the labels
 * of the entity's fields; texts not recognised stay in English.
 */
import type { ErrorLabels } from '../errors';
import type { FieldError } from '../types';
import type { ErrorEnvelope } from './envelope';

export type MessageLocale = 'en' | 'zh';

/**
 * The language the caller prefers among those the server speaks: the first of the `Accept-Language`
 * ranges (by quality) that is Chinese or English; English when none is.
 */
export function preferredLocale(acceptLanguage: string | string[] | undefined): MessageLocale {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : (acceptLanguage ?? '');
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((range) => range.tag !== '' && range.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranges) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'en';
}

const show = (value: unknown): string =>
  Array.isArray(value)
    ? value.map(String).join(', ')
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);

/** Chinese texts of the field rules, from the field's API name and the rule's limit. */
const ZH_FIELD_RULES: Record<string, (field: string, limit: unknown) => string> = {
  required: (f) => `${f} 为必填项`,
  requiredWhen: (f) => `${f} 在当前条件下为必填项`,
  readonly: (f) => `${f} 为只读字段，不可写入`,
  unknown: (f) => `未知字段 '${f}'`,
  minLength: (f, l) => `${f} 至少 ${show(l)} 个字符`,
  maxLength: (f, l) => `${f} 最多 ${show(l)} 个字符`,
  minimum: (f, l) => `${f} 不能小于 ${show(l)}`,
  maximum: (f, l) => `${f} 不能大于 ${show(l)}`,
  exclusiveMinimum: (f, l) => `${f} 必须大于 ${show(l)}`,
  exclusiveMaximum: (f, l) => `${f} 必须小于 ${show(l)}`,
  minItems: (f, l) => `${f} 至少需要 ${show(l)} 项`,
  maxItems: (f, l) => `${f} 最多 ${show(l)} 项`,
  pattern: (f, l) => `${f} 的格式不符合 ${show(l)}`,
  format: (f, l) => `${f} 的格式应为 ${show(l)}`,
  type: (f, l) => `${f} 的类型应为 ${show(l)}`,
  enum: (f, l) => `${f} 必须是以下值之一：${show(l)}`,
  range: (f, l) => (l === 'past' ? `${f} 必须是过去的时间` : `${f} 必须是将来的时间`),
  unique: (f) => `${f} 的值已存在`,
  exists: (f) => `${f} 引用的记录不存在或不可访问`,
  'state-locked': (f, l) => `${f} 在状态 ${show(l)} 下不可修改`,
  'separation-of-duties': (_f, l) => `操作 ${show(l)} 须由他人执行(职责分离)`,
  archived: (f) => `${f} 已归档，记录只读`,
  version: () => `请提供记录的当前版本号 version`,
};

/** Chinese texts of whole-request messages the engine raises, matched on the English text. */
const ZH_MESSAGES: [RegExp, (...groups: string[]) => string][] = [
  [/^Validation failed$/, () => '数据校验未通过'],
  [/^Permission '([^']+)' required$/, (code) => `需要权限 '${code}'`],
  [
    /^Field '([^']+)' of (\S+) may not be written$/,
    (field, entity) => `${entity} 的字段 '${field}' 不可写入`,
  ],
  [/^(\S+) (\S+) not found$/, (entity, key) => `${entity} ${key} 不存在`],
  [
    /^(\S+) (\d+) was modified: version (\S+) is stale, current is (\d+)$/,
    (entity, id, sent, current) => `${entity} ${id} 已被他人修改：版本 ${sent} 已过期，当前版本为 ${current}`,
  ],
  [/^(.+) already exists$/, (what) => `${what} 已存在`],
  [/^Unknown field '([^']+)' in (\S+)$/, (field, where) => `${where} 中有未知字段 '${field}'`],
  [
    /^The requester may not approve their own request \(segregation of duties\)$/,
    () => '申请人不能审批自己的申请(职责分离)',
  ],
  [/^E-signature failed: the password does not match$/, () => '电子签名失败：密码不正确'],
  [/^Authentication required$/, () => '需要登录'],
];

function localizeMessage(message: string): string {
  for (const [pattern, render] of ZH_MESSAGES) {
    const match = pattern.exec(message);
    if (match) return render(...match.slice(1));
  }
  return message;
}

function localizeFieldError(error: FieldError, labels: ErrorLabels | undefined): FieldError {
  const render = ZH_FIELD_RULES[error.rule];
  if (!render) return error;
  const field = labels?.fields?.[error.field]?.zh ?? (error.field || 'body');
  const state = typeof error.limit === 'string' ? labels?.states?.[error.limit]?.zh : undefined;
  const action = typeof error.limit === 'string' ? labels?.actions?.[error.limit]?.zh : undefined;
  return { ...error, message: render(field, state ?? action ?? error.limit) };
}

/**
 * The envelope with its texts in `locale` (English: unchanged). A message metadata gives in the
 * locale (`i18n`: a workflow guard message, a rule refusal) is used as it is; `labels` name fields,
 * states and actions in the field messages by their labels instead of their API names and codes.
 */
export function localizeEnvelope(
  body: ErrorEnvelope,
  locale: MessageLocale,
  i18n?: { en: string; zh?: string },
  labels?: ErrorLabels,
): ErrorEnvelope {
  if (locale === 'en') return body;
  const localized: ErrorEnvelope = { ...body, message: i18n?.zh ?? localizeMessage(body.message) };
  if (body.errors) localized.errors = body.errors.map((error) => localizeFieldError(error, labels));
  if (body.rows)
    localized.rows = body.rows.map((row) => ({
      ...row,
      message: localizeMessage(row.message),
      errors: row.errors.map((error) => localizeFieldError(error, labels)),
    }));
  return localized;
}
