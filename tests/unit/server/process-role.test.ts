import { processRole, runsBackgroundWork } from '../../../platform/src/config/process-role';

describe('MES_ROLE', () => {
  it('defaults to all; api leaves background work to the worker', () => {
    expect(processRole({})).toBe('all');
    expect(processRole({ MES_ROLE: ' API ' })).toBe('api');
    expect(processRole({ MES_ROLE: 'worker' })).toBe('worker');
    expect(runsBackgroundWork('all')).toBe(true);
    expect(runsBackgroundWork('worker')).toBe(true);
    expect(runsBackgroundWork('api')).toBe(false);
  });

  it('refuses an unknown role naming the variable and the choices', () => {
    expect(() => processRole({ MES_ROLE: 'web' })).toThrow(
      "MES_ROLE must be one of all, api, worker; got 'web'",
    );
  });
});
