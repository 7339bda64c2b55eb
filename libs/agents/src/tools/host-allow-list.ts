import { isIP } from 'node:net';

/** One entry of SWITCHYARD_HTTP_ALLOWED_HOSTS, parsed. */
interface AllowedHost {
  /** A host name or IP (IPv6 in brackets), or a domain whose subdomains are allowed. */
  readonly host: string;
  readonly subdomains: boolean;
  /** Only this port, when given. */
  readonly port?: number;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * The hosts api_integration may call. An entry is `host` (any port), `host:port` (that port
 * only) or `*.domain` (any subdomain of domain, not domain itself and never an IP address); names compare
 * case-blind.
 */
export class HostAllowList {
  private readonly entries: AllowedHost[];

  constructor(entries: readonly string[]) {
    this.entries = entries.map((entry) => {
      const [, host, port] = /^(.*?)(?::(\d+))?$/.exec(entry.trim().toLowerCase())!;
      const subdomains = host.startsWith('*.');
      return { host: subdomains ? host.slice(2) : host, subdomains, port: port === undefined ? undefined : Number(port) };
    });
  }

  allows(url: URL): boolean {
    const host = url.hostname.toLowerCase();
    const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol];
    return this.entries.some(
      (entry) =>
        (entry.subdomains ? isIP(host) === 0 && host.endsWith(`.${entry.host}`) : host === entry.host) && (entry.port === undefined || entry.port === port),
    );
  }
}
