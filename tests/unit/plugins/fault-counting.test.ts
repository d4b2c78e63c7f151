import pino from 'pino';
import { PluginFaultError } from '../../../platform/src/plugins/plugin-isolation';
import { PluginInstance, type PluginCode } from '../../../platform/src/plugins/plugin-runtime';

const fault = () => new PluginFaultError('gadgets', 'test', new Error('boom'));

function instance(trips: string[]): PluginInstance {
  const code: PluginCode = {
    name: 'gadgets',
    manifest: {
      plugin: 'gadgets',
      version: '1.0.0',
      label: { en: 'Gadgets', zh: '小工具' },
      engine: '*',
      database: 'core',
    },
    dir: '/nowhere',
    checksum: 'x',
  };
  return new PluginInstance(code, '/nowhere', pino({ level: 'silent' }), 3, (name, why) =>
    trips.push(`${name}: ${why}`),
  );
}

describe('plugin fault counting', () => {
  it('trips after three faults in a row of one handler, whatever other handlers do in between', () => {
    const trips: string[] = [];
    const plugin = instance(trips);
    for (let run = 0; run < 3; run++) {
      plugin.failed('before create gadget', fault());
      plugin.succeeded('job tick');
    }
    expect(plugin.tripped).toBe(true);
    expect(trips).toEqual([expect.stringContaining('gadgets: 3 faults in a row in before create gadget')]);
  });

  it('a success of the same handler ends its run of faults', () => {
    const trips: string[] = [];
    const plugin = instance(trips);
    plugin.failed('before create gadget', fault());
    plugin.failed('before create gadget', fault());
    plugin.succeeded('before create gadget');
    plugin.failed('before create gadget', fault());
    plugin.failed('route GET /stats', fault());
    plugin.failed('route GET /stats', fault());
    expect(plugin.tripped).toBe(false);
    expect(trips).toEqual([]);
  });
});
