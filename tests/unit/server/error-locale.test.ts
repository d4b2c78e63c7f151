/**
 * Error texts in the caller's language: the language chosen from Accept-Language, and the envelope's
 * messages rewritten from the stable rule and limit while codes, rules, paths and limits stay.
 */
import { localizeEnvelope, preferredLocale } from '../../../platform/src/crud/http/error-locale';
import type { ErrorEnvelope } from '../../../platform/src/crud/http/envelope';

describe('preferredLocale', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['zh-CN', 'zh'],
    ['zh-Hans-CN,zh;q=0.9', 'zh'],
    ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['fr-FR, zh;q=0.5, en;q=0.4', 'zh'],
    ['en;q=0.2, zh-TW;q=0.7', 'zh'],
    ['zh;q=0, en', 'en'],
    ['de, fr', 'en'],
  ])('%s → %s', (header, locale) => {
    expect(preferredLocale(header)).toBe(locale);
  });
});

describe('localizeEnvelope', () => {
  const envelope: ErrorEnvelope = {
    code: 'VALIDATION_FAILED',
    message: 'Validation failed',
    timestamp: '2026-12-06T00:00:00.000Z',
    traceId: 't',
    errors: [
      {
        field: 'title',
        path: '/title',
        rule: 'minLength',
        limit: 5,
        message: 'title must NOT have fewer than 5 characters',
      },
      {
        field: 'dueDate',
        path: '/dueDate',
        rule: 'range',
        limit: 'future',
        message: 'dueDate must be in the future',
      },
      {
        field: 'severity',
        path: '/severity',
        rule: 'enum',
        limit: ['LOW', 'HIGH'],
        message: 'severity must be equal to one of the allowed values',
      },
      { field: 'x', path: '/x', rule: 'some-plugin-rule', message: 'kept as it is' },
    ],
  };

  it('leaves English untouched', () => {
    expect(localizeEnvelope(envelope, 'en')).toBe(envelope);
  });

  it('writes Chinese texts from the rule and limit and keeps everything a client branches on', () => {
    const zh = localizeEnvelope(envelope, 'zh');
    expect(zh.message).toBe('数据校验未通过');
    expect(zh.errors!.map((e) => e.message)).toEqual([
      'title 至少 5 个字符',
      'dueDate 必须是将来的时间',
      'severity 必须是以下值之一：LOW, HIGH',
      'kept as it is',
    ]);
    expect(zh.errors!.map(({ message: _message, ...rest }) => rest)).toEqual(
      envelope.errors!.map(({ message: _message, ...rest }) => rest),
    );
    expect(zh).toMatchObject({ code: 'VALIDATION_FAILED', traceId: 't' });
  });

  it('takes a message metadata gives in Chinese (a guard message) as it is', () => {
    const guard = { en: 'The lot has not passed first-article inspection', zh: '批次首件检验未通过' };
    const body = { ...envelope, code: 'BUSINESS_RULE' as const, errors: undefined, message: guard.en };
    expect(localizeEnvelope(body, 'zh', guard).message).toBe('批次首件检验未通过');
    expect(localizeEnvelope(body, 'en', guard).message).toBe(guard.en);
  });

  it('names fields and states by the labels the error carries, keeping field, rule and limit', () => {
    const labels = {
      fields: { title: { en: 'Title', zh: '标题' } },
      states: { CANCELLED: { en: 'Cancelled', zh: '已取消' } },
    };
    const locked = {
      field: 'title',
      path: '/title',
      rule: 'state-locked',
      limit: 'CANCELLED',
      message: 'title cannot be changed in state CANCELLED (wo)',
    };
    const body = { ...envelope, errors: [envelope.errors![0]!, locked] };
    expect(localizeEnvelope(body, 'zh', undefined, labels).errors).toEqual([
      { ...envelope.errors![0], message: '标题 至少 5 个字符' },
      { ...locked, message: '标题 在状态 已取消 下不可修改' },
    ]);
    expect(localizeEnvelope(body, 'en', undefined, labels)).toBe(body);
  });

  it.each([
    ["Permission 'work_order:create' required", "需要权限 'work_order:create'"],
    ['work_order 42 not found', 'work_order 42 不存在'],
    ["itemCode 'ITM-202501-0001' already exists", "itemCode 'ITM-202501-0001' 已存在"],
    [
      'work_order 7 was modified: version 1 is stale, current is 2',
      'work_order 7 已被他人修改：版本 1 已过期，当前版本为 2',
    ],
    ['Authentication required', '需要登录'],
    ['Something only a plugin says', 'Something only a plugin says'],
  ])('%s', (message, expected) => {
    expect(localizeEnvelope({ ...envelope, errors: undefined, message }, 'zh').message).toBe(expected);
  });
});
