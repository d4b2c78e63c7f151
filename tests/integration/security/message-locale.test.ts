/**
 * Server messages in the user's language (SQLite and MariaDB): a signed-in user's stored preference
 * decides, whatever `Accept-Language` says; without a principal, or without a stored preference, the
 * header does. The user stores the preference themselves; the next access token carries it.
 */
import { PASSWORD, startSecurityServer, type Dialect, type SecurityServer } from './security-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<Dialect>(TEST_DIALECTS)('server messages in the user’s language (%s)', (dialect) => {
  let sec: SecurityServer;

  beforeAll(async () => {
    sec = await startSecurityServer(dialect, 'msglocale');
  }, 180_000);
  afterAll(() => sec?.stop());

  let lastIp = 0;
  const tokenOf = async (username: string): Promise<string> => {
    const response = await sec.server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: `10.66.0.${++lastIp}`,
      payload: { username, password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    return response.json().data.accessToken as string;
  };
  const send = (
    method: 'POST' | 'PUT',
    url: string,
    token: string | null,
    language: string,
    payload: object,
  ) =>
    sec.server.app.inject({
      method,
      url,
      headers: {
        'accept-language': language,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      payload,
    });
  const setLocale = async (username: string, locale: string): Promise<string> => {
    const stored = await send('PUT', '/api/auth/locale', await tokenOf(username), 'en', { locale });
    expect(stored.statusCode).toBe(200);
    // The preference travels in the access token: a new sign-in (or refresh) carries it.
    return tokenOf(username);
  };

  it('answers a user who prefers English in English, even when the browser asks for Chinese', async () => {
    expect.hasAssertions();
    const token = await setLocale('planner', 'en');
    const me = await sec.server.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.json().data.user.locale).toBe('en');
    const invalid = await send('POST', '/api/work-orders', token, 'zh-CN,zh;q=0.9', {});
    expect(invalid.statusCode).toBe(422);
    expect(invalid.headers['content-language']).toBe('en');
    expect(invalid.json().message).toBe('Validation failed');
    expect(invalid.json().errors[0].message).toMatch(/is required/);
    const guarded = await send('POST', '/api/users', token, 'zh-CN', { username: 'x' });
    expect(guarded.statusCode).toBe(403);
    expect(guarded.json().message).toMatch(/^Permission 'user:create' required/);
  });

  it('answers a user who prefers Chinese in Chinese, even when the browser asks for English', async () => {
    expect.hasAssertions();
    const token = await setLocale('planner', 'zh');
    const invalid = await send('POST', '/api/work-orders', token, 'en-US,en;q=0.9', {});
    expect(invalid.headers['content-language']).toBe('zh-CN');
    expect(invalid.json().message).toBe('数据校验未通过');
    expect(invalid.json().errors[0].message).toMatch(/为必填项|不可写入|需要权限/);
    const guarded = await send('POST', '/api/users', token, 'en', { username: 'x' });
    expect(guarded.statusCode).toBe(403);
    expect(guarded.json().message).toBe("需要权限 'user:create'");
  });

  it('follows Accept-Language without a principal, and for a user with no stored preference', async () => {
    expect.hasAssertions();
    const anonymous = (language: string) =>
      send('POST', '/api/auth/password-reset-request', null, language, {});
    expect((await anonymous('zh-CN')).json().errors[0]).toMatchObject({
      field: 'username',
      message: 'username 为必填项',
    });
    expect((await anonymous('en')).json().errors[0].message).toBe('username is required (a string)');

    await sec.query("UPDATE sys_user SET locale = NULL WHERE tenant_id = 'DEMO' AND username = 'analyst'");
    const token = await tokenOf('analyst');
    expect((await send('POST', '/api/users', token, 'zh-CN', {})).json().message).toBe(
      "需要权限 'user:create'",
    );
    expect((await send('POST', '/api/users', token, 'en', {})).json().message).toBe(
      "Permission 'user:create' required",
    );
  });

  it('names fields, states and actions by their labels in the user’s language', async () => {
    expect.hasAssertions();
    const created = async (path: string, payload: object): Promise<number> => {
      const response = await sec.call('admin', 'POST', path, payload);
      expect(response.statusCode).toBe(201);
      return response.json().data.id as number;
    };
    const uomId = await created('/api/units', { uomCode: 'ML-PCS', uomName: 'Pieces' });
    const plantId = await created('/api/plants', { plantCode: 'ML-P1', plantName: 'Plant ML' });
    const lineId = await created('/api/production-lines', { lineCode: 'ML01', lineName: 'Line', plantId });
    const itemId = await created('/api/items', { itemName: 'Widget', itemType: 'FINISHED', uomId });
    const zh = await setLocale('planner', 'zh');
    const draft = await send('POST', '/api/work-orders', zh, 'en', {
      itemId,
      lineId,
      plannedQuantity: 5,
      plannedStart: '2026-12-01T08:00:00Z',
    });
    expect(draft.statusCode).toBe(201);
    const id = draft.json().data.id as number;

    // Validation: the field by its label; `field` and `rule` stay the API's.
    const invalid = await send('POST', '/api/work-orders', zh, 'en', { lineId, plannedQuantity: 5 });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().errors).toContainEqual(
      expect.objectContaining({ field: 'itemId', rule: 'required', message: '物料 为必填项' }),
    );

    // Workflow: the action and the states by their labels.
    const released = await send('POST', `/api/work-orders/${id}/actions/release`, zh, 'en', {});
    expect(released.statusCode).toBe(201);
    const again = await send('POST', `/api/work-orders/${id}/actions/release`, zh, 'en', {});
    expect(again.json()).toMatchObject({
      code: 'BUSINESS_RULE',
      message: '操作「下达」不能在「已下达」状态下执行，需处于：「草稿」',
    });
    const missing = await send('POST', `/api/work-orders/${id}/actions/cancel`, zh, 'en', {});
    expect(missing.statusCode).toBe(422);
    expect(missing.json().message).toBe('操作「取消」缺少输入');
    expect(missing.json().errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'reason', rule: 'required', message: '原因 为必填项' }),
        expect.objectContaining({ field: 'cancelReason', rule: 'required', message: '取消原因 为必填项' }),
      ]),
    );

    // The same refusals in English keep their texts.
    const en = await setLocale('planner', 'en');
    const againEn = await send('POST', `/api/work-orders/${id}/actions/release`, en, 'zh-CN', {});
    expect(againEn.json().message).toBe(
      "Action 'release' is not allowed in state RELEASED; it needs one of DRAFT",
    );
    const missingEn = await send('POST', `/api/work-orders/${id}/actions/cancel`, en, 'zh-CN', {});
    expect(missingEn.json().message).toBe("Action 'cancel' is missing input");
    expect(missingEn.json().errors).toContainEqual(
      expect.objectContaining({ field: 'cancelReason', message: "cancelReason is required for 'cancel'" }),
    );

    // A record its state locks: the entity, state and field by their labels.
    const zhAgain = await setLocale('planner', 'zh');
    const cancelled = await send('POST', `/api/work-orders/${id}/actions/cancel`, zhAgain, 'en', {
      reason: 'no longer needed',
      fields: { cancelReason: 'no longer needed' },
    });
    expect(cancelled.statusCode).toBe(201);
    const version = (await sec.call('planner', 'GET', `/api/work-orders/${id}`)).json().data
      .version as number;
    const locked = await sec.server.app.inject({
      method: 'PATCH',
      url: `/api/work-orders/${id}`,
      headers: { authorization: `Bearer ${zhAgain}` },
      payload: { plannedQuantity: 7, version },
    });
    expect(locked.statusCode).toBe(422);
    expect(locked.json().message).toMatch(/^工单 \S+ 处于「已取消」状态：计划数量 不可修改$/);
    expect(locked.json().errors[0]).toMatchObject({
      field: 'plannedQuantity',
      rule: 'state-locked',
      limit: 'CANCELLED',
      message: '计划数量 在状态 已取消 下不可修改',
    });

    // An action the role may not take, for an inspector who prefers Chinese.
    const inspector = await setLocale('inspector', 'zh');
    const refused = await send('POST', `/api/work-orders/${id}/actions/start`, inspector, 'en', {});
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toBe("需要权限 'work_order:start'");
  });

  it('refuses a language the server does not speak, naming the field', async () => {
    expect.hasAssertions();
    const refused = await send('PUT', '/api/auth/locale', await tokenOf('auditor'), 'en', { locale: 'fr' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0]).toMatchObject({ field: 'locale', rule: 'enum' });
    const audit = await sec.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = 'DEMO' AND transition = 'set_locale' AND actor_name = 'planner'",
    );
    expect(Number(audit[0]!.n)).toBe(5);
  });
});
