// Moonraker's unix socket, {data_path}/comms/moonraker.sock: the same JSON-RPC as the websocket
// for local programs (agents, KlipperScreen setups, scripts), framed as Moonraker and Klippy
// frame their sockets: each message is one JSON text followed by the byte 0x03. A connection
// is a client like a websocket: it may identify, subscribe and receives every notification.
// Who may connect is decided by the file's permissions (owner and group only), not by keys.
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { EndpointRegistry } from './endpointRegistry.js';
import type { ConnectionRegistry } from './connections.js';
import { WsConnection, type MessageSocket } from './wsConnection.js';
import { answerJsonRpc } from './rpcCall.js';
import { EtxDecoder, ETX, FrameTooLargeError } from '../shared/etxFraming.js';
import { getLogger } from '../logger.js';

const log = getLogger('unix');

/** The client address of unix socket connections (there is no IP); the socket's permissions vouch for them. */
export const UNIX_CLIENT_ADDRESS = 'unix';

/** Owner and group may connect; nobody else (a world-writable socket would hand the printer to every local user). */
export const UNIX_SOCKET_MODE = 0o660;

export interface UnixSocketOptions {
  path: string;
  registry: EndpointRegistry;
  /** The largest reply built; past it the reply is a 413 error (replySize.ts). */
  maxReplyChars?: number;
  connections: ConnectionRegistry;
  maxMessageBytes: number;
  maxBacklogBytes: number;
}

/** A net.Socket seen as a message socket: each text goes out followed by ETX. */
function messageSocket(socket: Socket): MessageSocket {
  return {
    get bufferedAmount() {
      return socket.writableLength;
    },
    send(text) {
      socket.write(Buffer.concat([Buffer.from(text, 'utf8'), Buffer.of(ETX)]));
    },
    terminate() {
      socket.destroy();
    },
    close() {
      socket.end();
    },
    on(event: 'close' | 'error', listener: (err: Error) => void) {
      socket.on(event, listener);
      return this;
    },
  };
}

/** True when something answers at `path` (a server that is running, not a stale file). */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function statOf(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

export interface UnixSocketServer {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Listens at `opts.path`. A socket file left by a server that died is replaced; a live one (an
 * other server, e.g. Moonraker still running) or a file that is not a socket is left alone, and
 * then there is no unix socket (logged): never steal or delete what is not ours.
 */
export async function startUnixSocket(opts: UnixSocketOptions): Promise<UnixSocketServer | undefined> {
  // Moonraker creates {data_path}/comms when missing; Klippy's socket usually lives there too.
  mkdirSync(dirname(opts.path), { recursive: true });
  const existing = statOf(opts.path);
  if (existing) {
    if (!existing.isSocket()) {
      log.error(`not serving the unix socket: ${opts.path} exists and is not a socket`);
      return undefined;
    }
    if (await isLive(opts.path)) {
      log.error(`not serving the unix socket: another server is listening at ${opts.path}`);
      return undefined;
    }
    log.info(`replacing the stale unix socket ${opts.path}`);
    unlinkSync(opts.path);
  }
  const server: Server = createServer((socket) => accept(socket, opts));
  const listening = await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The socket is created with the process umask; restrict it before anyone can connect.
    // (Worker threads may not change the umask; there the chmod below still closes it at once.)
    let umask: number | undefined;
    try {
      umask = process.umask(0o117);
    } catch {
      umask = undefined;
    }
    try {
      server.listen(opts.path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      if (umask !== undefined) process.umask(umask);
    }
  }).then(
    () => true,
    (err: unknown) => {
      // As Moonraker: the HTTP API still serves without it (e.g. a path over the 107-byte limit).
      log.error(`not serving the unix socket at ${opts.path}: ${(err as Error).message}`);
      return false;
    },
  );
  if (!listening) return undefined;
  chmodSync(opts.path, UNIX_SOCKET_MODE);
  const ours = statOf(opts.path);
  log.info(`serving JSON-RPC on the unix socket ${opts.path}`);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    path: opts.path,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      // Node removes the file itself on close; if it is still there and still ours, remove it.
      const now = statOf(opts.path);
      if (now && ours && now.ino === ours.ino && now.dev === ours.dev) unlinkSync(opts.path);
    },
  };
}

function accept(socket: Socket, opts: UnixSocketOptions): void {
  const decoder = new EtxDecoder(opts.maxMessageBytes);
  const conn = new WsConnection(opts.connections.allocateId(), messageSocket(socket), UNIX_CLIENT_ADDRESS, opts.maxBacklogBytes, (c) =>
    opts.connections.remove(c),
  );
  // The unix socket came years after the spec: its clients are today's, whether they identify or not.
  conn.dialect = 'current';
  opts.connections.add(conn);
  log.debug(`unix connection ${conn.id} opened`);
  socket.on('data', (chunk: Buffer) => {
    let frames: string[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      // A peer that sends megabytes without a terminator is not speaking the protocol.
      log.warn(`closing unix connection ${conn.id}: ${err instanceof FrameTooLargeError ? err.message : String(err)}`);
      socket.destroy();
      return;
    }
    for (const text of frames) {
      void answerJsonRpc(
        opts.registry,
        text,
        () => ({
          transport: 'unix',
          clientAddress: UNIX_CLIENT_ADDRESS,
          dialect: conn.dialect,
          connection: conn,
        }),
        opts.maxReplyChars,
      ).then(
        (reply) => {
          if (reply !== undefined) conn.send(reply);
        },
        (err: unknown) => log.error(`unix connection ${conn.id}: message not answered: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
  });
}
