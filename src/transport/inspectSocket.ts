// The /debug/inspect websocket: the inspection stream as JSON text frames, one message a frame.
// On connect a client gets `hello`, then one `actor` message per live actor (its state now),
// then every message as it happens. What clients send is ignored. A client that leaves more
// than the backlog limit unread is dropped (close code 1013), as on /websocket.
// Mounted by attachWebsocket's upgrade routes, so it passes the same authorizeUpgrade check.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Inspection, InspectionMessage } from '../actors/inspection.actor.js';
import { getLogger } from '../logger.js';
import { BACKLOG_NOTICE_BYTES, type BacklogHolder, type UnsentBytes } from './unsentBytes.js';

const log = getLogger('inspect');

export const INSPECT_PATH = '/debug/inspect';

export interface InspectSocket {
  handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  close: () => void;
}

export function createInspectSocket(inspection: Inspection, opts: { maxBacklogBytes: number; unsent?: UnsentBytes }): InspectSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  return {
    handleUpgrade: (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        log.debug(`inspector client connected from ${req.socket.remoteAddress}`);
        // Its unread bytes count toward the bound on all clients together.
        const holder: BacklogHolder = {
          get bufferedAmount() {
            return ws.bufferedAmount;
          },
          drop(why) {
            log.warn(`inspector client dropped: ${why}`);
            sub.unsubscribe();
            ws.terminate();
          },
        };
        opts.unsent?.add(holder);
        const send = (m: InspectionMessage) => {
          if (ws.readyState !== ws.OPEN) return;
          if (ws.bufferedAmount > opts.maxBacklogBytes) {
            log.warn('inspector client too slow, dropping it');
            sub.unsubscribe();
            ws.close(1013, 'Too much unread data');
            return;
          }
          try {
            ws.send(JSON.stringify(m));
            if (ws.bufferedAmount > BACKLOG_NOTICE_BYTES) opts.unsent?.enforce();
          } catch (err) {
            // One message the stream cannot carry must not end the server (or the stream).
            log.warn(`inspection message not sent: ${(err as Error).message}`);
          }
        };
        // Current states and the live stream are taken in the same tick: nothing falls between.
        const initial: InspectionMessage[] = [inspection.hello(), ...inspection.current()];
        const sub = inspection.messages$.subscribe(send);
        for (const m of initial) send(m);
        ws.on('close', () => {
          sub.unsubscribe();
          opts.unsent?.remove(holder);
        });
        ws.on('error', () => sub.unsubscribe());
      });
    },
    close: () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}
