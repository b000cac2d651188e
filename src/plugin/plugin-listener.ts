// Listeners for a plugin's main server and for broker servers on either side (docs/protocol.md#listeners):
// a unix socket in a fresh 0700 directory, or 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT.
import { errorMessage } from '../errors.js';
import { chmodSync, chownSync, rmSync } from 'node:fs';
import type { Server } from '../grpc/server.js';
import type { TlsServerOptions } from '../http2/tls-options.js';
import { PLUGIN_UNIX_SOCKET_GROUP, type Env } from './env.js';
import { grpcTarget, type Network } from './network.js';
import { candidatePorts, checkSocketPath, makeSocketDir, parsePortRange, resolveSocketGroup, socketPathIn } from './socket-path.js';



export interface PluginListener {
  network: Network;
  /** A socket path or `127.0.0.1:PORT`, as the handshake and ConnInfo carry it. */
  address: string;
  /** Removes the socket directory (the server's own close removes the socket). Idempotent. */
  cleanup(): void;
}

/** Windows has no AF_UNIX in Node (grpc/grpc-node#2857), so TCP there; unix sockets elsewhere. */
export function defaultTransport(platform: string = process.platform): Network {
  return platform === 'win32' ? 'tcp' : 'unix';
}

export async function listenForPlugin(server: Pick<Server, 'listen'>, options: { transport?: Network; env?: Env; tls?: TlsServerOptions }): Promise<PluginListener> {
  const env = options.env ?? process.env;
  const transport = options.transport ?? defaultTransport();
  if (transport === 'tcp') {
    const range = parsePortRange(env);
    let lastError: unknown;
    for (const port of candidatePorts(range)) {
      try {
        const bound = await server.listen(`127.0.0.1:${port}`, { tls: options.tls });
        return { network: 'tcp', address: bound, cleanup: () => {} };
      } catch (err) {
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      }
    }
    throw new Error(`couldn't bind plugin TCP listener on 127.0.0.1 ports ${range.min}-${range.max}: ${lastError === undefined ? 'no port in range' : errorMessage(lastError)}`);
  }
  const dir = makeSocketDir(env);
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const path = socketPathIn(dir);
    checkSocketPath(path);
    await server.listen(grpcTarget('unix', path), { tls: options.tls });
    const group = env[PLUGIN_UNIX_SOCKET_GROUP];
    if (group !== undefined && group !== '') {
      const gid = resolveSocketGroup(group);
      chownSync(path, -1, gid);
      chmodSync(path, 0o660);
      // The directory must let the group reach the socket too (go-plugin makes it 0770 with a group).
      chownSync(dir, -1, gid);
      chmodSync(dir, 0o770);
    }
    return { network: 'unix', address: path, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
