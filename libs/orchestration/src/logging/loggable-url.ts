/**
 * A URL as logs and error messages show it: scheme, host, port and path only. Credentials
 * (`user:password@`), the query string and the fragment are dropped: they are where secrets
 * travel (`?token=…`, `redis://:password@host`). A relative URL (a request's `/path?query`)
 * keeps its path.
 */
export function loggableUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return String(url).replace(/[?#].*$/s, '');
  }
  // `host` rather than `origin`: a URL of a scheme the WHATWG parser does not know (redis:) has
  // no origin.
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
