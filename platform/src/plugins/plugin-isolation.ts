import { ApiError } from '../crud/errors';

/** A plugin's handler threw something other than an ApiError: the request fails with 502. */
export class PluginFaultError extends ApiError {
  constructor(
    readonly plugin: string,
    where: string,
    override readonly cause: unknown,
  ) {
    super(
      'PLUGIN_FAILED',
      502,
      `plugin ${plugin} failed in ${where}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { plugin },
    );
  }
}

/** A plugin's handler did not finish within the time limit: the request fails with 504. */
export class PluginTimeoutError extends ApiError {
  constructor(
    readonly plugin: string,
    where: string,
    timeoutMs: number,
  ) {
    super('PLUGIN_TIMEOUT', 504, `plugin ${plugin} did not finish ${where} within ${timeoutMs} ms`, {
      plugin,
    });
  }
}

/**
 * Counts faults per handler (`where`): a broken hook stays broken however often the plugin's
 * other handlers (a job ticking every second, say) succeed in between.
 */
export interface FaultCounter {
  /** The handler succeeded or refused with an ApiError: its run of faults is over. */
  succeeded(where: string): void;
  /** The handler threw or hung. */
  failed(where: string, error: PluginFaultError | PluginTimeoutError): void;
}

/**
 * Runs one plugin handler under a time limit. An ApiError (the plugin's `api.errors`, or a platform
 * call it made that refused) is the caller's answer and passes through; anything else thrown, or
 * no answer in time, becomes PluginFaultError / PluginTimeoutError and counts as a fault.
 */
export async function runIsolated<T>(
  plugin: string,
  where: string,
  timeoutMs: number,
  faults: FaultCounter,
  work: () => T | Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new PluginTimeoutError(plugin, where, timeoutMs)), timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(work), timeout]);
    faults.succeeded(where);
    return result;
  } catch (error) {
    if (error instanceof PluginTimeoutError) {
      faults.failed(where, error);
      throw error;
    }
    if (error instanceof ApiError) {
      faults.succeeded(where);
      throw error;
    }
    const fault = new PluginFaultError(plugin, where, error);
    faults.failed(where, fault);
    throw fault;
  } finally {
    clearTimeout(timer);
  }
}
