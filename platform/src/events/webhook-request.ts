import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TargetAddress, WebhookTargetPolicy } from './webhook-targets';

/**
 * POSTs a body to a webhook URL and resolves with the receiver's HTTP status. The host is resolved
 * and checked by the policy first, and the connection goes to those checked addresses only (the
 * socket's lookup answers with them instead of asking DNS again). Redirects are not followed: a 3xx
 * is the receiver's answer like any other.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  targets: WebhookTargetPolicy,
): Promise<number> {
  const target = new URL(url);
  const addresses = await targets.resolve(target);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const options: RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: checkedLookup(addresses),
      signal: AbortSignal.timeout(timeoutMs),
    };
    const request = send(target, options, (response) => {
      response.on('error', reject);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.resume();
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A socket lookup that answers with the already checked addresses (one or, when asked, all). */
function checkedLookup(addresses: readonly TargetAddress[]): RequestOptions['lookup'] {
  return ((
    _hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | TargetAddress[], family?: number) => void,
  ) => {
    if (options.all) callback(null, [...addresses]);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  }) as RequestOptions['lookup'];
}
