import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** The setting that opens specific internal hosts to webhooks: host names, IP addresses or CIDR ranges. */
export const ALLOW_HOSTS_SETTING = 'MES_WEBHOOK_ALLOW_HOSTS';

type Family = 'ipv4' | 'ipv6';

/**
 * Addresses a webhook may not reach unless allowed, by the name a refusal gives. IPv4-mapped IPv6
 * addresses (`::ffff:127.0.0.1`) match the IPv4 ranges; addresses that embed or translate to an
 * IPv4 address by other means (IPv4-compatible, NAT64, 6to4, Teredo) are refused as a whole.
 */
const INTERNAL_RANGES: readonly (readonly [string, string, number, Family])[] = [
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['loopback', '::1', 128, 'ipv6'],
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['private (shared address space)', '100.64.0.0', 10, 'ipv4'],
  ['private (unique local)', 'fc00::', 7, 'ipv6'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['multicast', 'ff00::', 8, 'ipv6'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['IPv4-embedding', '::', 96, 'ipv6'],
  ['IPv4-embedding', '64:ff9b::', 96, 'ipv6'],
  ['IPv4-embedding', '64:ff9b:1::', 48, 'ipv6'],
  ['IPv4-embedding', '2002::', 16, 'ipv6'],
  ['IPv4-embedding', '2001::', 32, 'ipv6'],
];

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;

const RANGES = INTERNAL_RANGES.map(([name, network, prefix, family]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { name, list };
});

export interface TargetAddress {
  address: string;
  family: 4 | 6;
}

/** A webhook URL whose host is, or resolves to, an address webhooks may not reach. */
export class WebhookTargetRefused extends Error {
  constructor(
    readonly host: string,
    readonly rule: 'publicAddress' | 'resolvable',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookTargetRefused';
  }
}

/**
 * Where webhooks may connect: public addresses only, unless the host name or the address is on the
 * allowlist. A host name is resolved and every address it resolves to is checked, so one internal
 * answer among public ones refuses the target; delivery connects to exactly the checked addresses,
 * so a second DNS answer (rebinding) cannot redirect it.
 */
export class WebhookTargetPolicy {
  private readonly hosts = new Set<string>();
  private readonly addresses = new BlockList();

  /** `entries`: host names, IP addresses or CIDR ranges (`10.0.0.0/8`). */
  constructor(readonly entries: readonly string[] = []) {
    for (const entry of entries) {
      const [address, prefix, extra] = entry.split('/');
      const family = isIP(address!);
      const bits = Number(prefix);
      if (family && prefix === undefined) this.addresses.addAddress(address!, familyName(family));
      else if (family && extra === undefined && /^\d+$/.test(prefix!) && bits <= (family === 4 ? 32 : 128))
        this.addresses.addSubnet(address!, bits, familyName(family));
      else if (prefix === undefined && HOST_NAME.test(entry)) this.hosts.add(hostKey(entry));
      else
        throw new Error(
          `${ALLOW_HOSTS_SETTING}: '${entry}' is neither a host name, an IP address nor a CIDR range`,
        );
    }
  }

  /** The policy of `MES_WEBHOOK_ALLOW_HOSTS` (comma-separated); empty = public addresses only. */
  static fromEnv(env: NodeJS.ProcessEnv): WebhookTargetPolicy {
    const raw = env[ALLOW_HOSTS_SETTING] ?? '';
    return new WebhookTargetPolicy(
      raw
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    );
  }

  /**
   * Every address the URL's host is or resolves to, each one allowed; throws WebhookTargetRefused
   * naming the host, the address and its range otherwise.
   */
  async resolve(url: URL): Promise<TargetAddress[]> {
    const host = hostKey(url.hostname.replace(/^\[(.*)\]$/, '$1'));
    const literal = isIP(host);
    if (literal) return [this.checked(host, { address: host, family: literal as 4 | 6 })];
    let answers: TargetAddress[];
    try {
      answers = (await lookup(host, { all: true, verbatim: true })) as TargetAddress[];
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new WebhookTargetRefused(host, 'resolvable', `url host '${host}' does not resolve: ${reason}`);
    }
    if (this.hosts.has(host)) return answers;
    return answers.map((answer) => this.checked(host, answer));
  }

  private checked(host: string, target: TargetAddress): TargetAddress {
    const family = familyName(target.family);
    if (this.hosts.has(host) || this.addresses.check(target.address, family)) return target;
    const range = RANGES.find(({ list }) => list.check(target.address, family));
    if (!range) return target;
    const resolved = host === target.address ? '' : ` resolves to ${target.address}, which`;
    throw new WebhookTargetRefused(
      host,
      'publicAddress',
      `url host '${host}'${resolved} is in the ${range.name} range; webhooks may only target public ` +
        `addresses unless the host is listed in ${ALLOW_HOSTS_SETTING}`,
    );
  }
}

function familyName(family: number): Family {
  return family === 6 ? 'ipv6' : 'ipv4';
}

/** Host names compare case-insensitively and without the root's trailing dot (`LOCALHOST.`). */
function hostKey(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}
