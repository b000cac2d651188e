// Listen and dial addresses in gRPC's naming: `unix:/abs`, `unix:///abs`, `unix:rel`, `host:port`,
// `[v6]:port` (https://github.com/grpc/grpc/blob/191d0c3f83d6eb03405c8f19a642ecf80fcbde25/doc/naming.md). Pure: no
// runtime imports.

/** The two kinds of address: a unix socket path, or TCP host:port. */
export type Network = 'unix' | 'tcp';

export type Address = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseAddress(s: string): Address {
  if (s.startsWith('unix:')) return { kind: 'unix', path: parseUnixPath(s) };
  return parseHostPort(s);
}

export function formatAddress(a: Address): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function parseUnixPath(s: string): string {
  const rest = s.slice('unix:'.length);
  if (rest.startsWith('//')) {
    // `unix://` must be followed by an absolute path; `unix://host/x` has no meaning for a socket file.
    const path = rest.slice(2);
    if (!path.startsWith('/')) {
      throw new TypeError(`invalid address "${s}": after "unix://" an absolute path is expected, as in "unix:///tmp/plugin.sock"`);
    }
    return path;
  }
  if (rest === '') throw new TypeError(`invalid address "${s}": a socket path is expected after "unix:", as in "unix:/tmp/plugin.sock"`);
  return rest;
}

function parseHostPort(s: string): Address {
  let host: string;
  let portText: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') {
      throw new TypeError(`invalid address "${s}": an IPv6 address is written "[::1]:port"`);
    }
    host = s.slice(1, close);
    portText = s.slice(close + 2);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) throw new TypeError(`invalid address "${s}": expected "host:port" or "unix:/path"`);
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(':')) {
      throw new TypeError(`invalid address "${s}": put an IPv6 address in brackets, as in "[::1]:port"`);
    }
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new TypeError(`invalid address "${s}": the port must be a number from 0 to 65535, got "${portText}"`);
  }
  return { kind: 'tcp', host, port: Number(portText) };
}
