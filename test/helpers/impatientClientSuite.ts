// Clients that act the moment they are told something (issue 13): every state a client can read
// (printer.info, server.info's klippy_state, notify_klippy_ready) comes from the connection
// machine, so "ready" seen anywhere means a print can start at once; and a query or subscribe
// right after a state-changing command sees that command's effect (read-your-writes), although
// the cache that answers most queries is only refreshed on Klippy's status tick.
//
// The same scenarios run against the virtual Klippy in real time, against one whose status tick
// is slow, and against today's real Klippy (one test file each, so they run side by side).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KlippyPeer, Stack } from './testStack.js';
import type { RpcClient } from './rpcClient.js';

export interface Peer {
  name: string;
  start: () => Promise<Stack<KlippyPeer>>;
  skip?: string | undefined;
  /** Prints take real time (pause, resume and cancel can be tried); the real Klippy has no MCU. */
  slowPrints: boolean;
  /** Also the scenarios around restarts (each restart takes a second or two). */
  restarts: boolean;
}


// A print that ends at once, and one that keeps the (virtual) printer busy for minutes.
const QUICK = 'quick.gcode';
const SLOW = 'slow.gcode';
// Dwells need no homing and let a pause or cancel take effect within 0.1 s.
const SLOW_GCODE = 'G4 P100\n'.repeat(3000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

/** The impatient-client scenarios against one Klippy peer, as one suite. */
export function impatientClientSuite(peer: Peer): void {
  describe(peer.name, { skip: peer.skip ?? false }, () => {
    let s: Stack<KlippyPeer>;
    let ws: RpcClient;

    const printStats = async (): Promise<{ state: string; filename: string }> => {
      const r = await s.http('GET', '/printer/objects/query?print_stats=state,filename');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.result.status.print_stats;
    };
    /** Until the print_stats Klippy reports leave printing (no deadline: the test timeout is). */
    const waitPrintEnd = async () => {
      for (;;) {
        const ps = await printStats();
        if (ps.state !== 'printing' && ps.state !== 'paused') return ps;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const startAndCheck = async (via: 'http' | 'ws', file: string) => {
      if (via === 'http') {
        const r = await s.http('POST', '/printer/print/start', { filename: file });
        assert.equal(r.status, 200, `print start refused: ${JSON.stringify(r.body)}`);
      } else {
        assert.equal(await ws.call('printer.print.start', { filename: file }), 'ok');
      }
      // Asked at once: the answer must already be this job's (it may have ended already).
      const ps = await printStats();
      assert.equal(ps.filename, file, JSON.stringify(ps));
      assert.ok(['printing', 'complete'].includes(ps.state), JSON.stringify(ps));
    };

    before(async () => {
      s = await peer.start();
      mkdirSync(s.gcodesPath, { recursive: true });
      writeFileSync(join(s.gcodesPath, QUICK), 'M117 quick\n');
      writeFileSync(join(s.gcodesPath, SLOW), SLOW_GCODE);
      ws = await s.ws();
    });
    after(() => s?.close());

    test('polling printer.info over HTTP until ready, then starting a print at once', async () => {
      // The server was started a moment ago: Klippy is still starting up.
      for (;;) {
        const info = await s.http('GET', '/printer/info');
        if (info.status === 200 && info.body.result.state === 'ready') break;
      }
      const server = await s.http('GET', '/server/info');
      assert.equal(server.body.result.klippy_state, 'ready');
      await startAndCheck('http', QUICK);
      await waitPrintEnd();
    });

    test('after a restart: polling printer.info over the websocket, then starting at once', { skip: !peer.restarts && 'restarts are covered with the other peers' }, async () => {
      assert.equal((await s.http('POST', '/printer/restart')).status, 200);
      for (;;) {
        const info = await ws.call('printer.info', {}).catch(() => undefined);
        if ((info)?.state === 'ready') break;
      }
      assert.equal((await ws.call<J>('server.info', {})).klippy_state, 'ready');
      await startAndCheck('ws', QUICK);
      await waitPrintEnd();
    });

    test('on notify_klippy_ready, starting a print at once (HTTP and websocket)', { skip: !peer.restarts && 'restarts are covered with the other peers' }, async () => {
      for (const via of ['ws', 'http'] as const) {
        const since = ws.notifications.length;
        assert.equal((await s.http('POST', '/printer/firmware_restart')).status, 200);
        await ws.waitFor('notify_klippy_ready', () => true, 30_000, since);
        await startAndCheck(via, QUICK);
        await waitPrintEnd();
      }
    });

    test('polling server.info until klippy_state is ready, then starting at once', { skip: !peer.restarts && 'restarts are covered with the other peers' }, async () => {
      assert.equal((await s.http('POST', '/printer/restart')).status, 200);
      for (;;) {
        const r = await s.http('GET', '/server/info');
        if (r.body.result.klippy_state === 'ready') break;
      }
      const info = await s.http('GET', '/printer/info');
      assert.equal(info.body.result.state, 'ready');
      await startAndCheck('http', QUICK);
      await waitPrintEnd();
    });

    test('right after a restart or an emergency stop is answered, no client reads "ready"', { skip: !peer.restarts && 'restarts are covered with the other peers' }, async () => {
      for (const action of ['restart', 'firmware_restart', 'emergency_stop']) {
        assert.equal((await s.http('POST', `/printer/${action}`)).status, 200, action);
        const [server, info, start] = await Promise.all([
          s.http('GET', '/server/info'),
          ws.call<J>('printer.info', {}).catch((e: Error) => ({ state: e.message })),
          s.http('POST', '/printer/print/start', { filename: QUICK }),
        ]);
        assert.notEqual(server.body.result.klippy_state, 'ready', `server.info after ${action}`);
        assert.notEqual(info.state, 'ready', `printer.info after ${action}`);
        assert.equal(start.status, 503, `print start after ${action}: ${JSON.stringify(start.body)}`);
        if (action === 'emergency_stop') assert.equal(server.body.result.klippy_state, 'shutdown');
        // Back to ready before the next round.
        if (action === 'emergency_stop') assert.equal((await s.http('POST', '/printer/firmware_restart')).status, 200);
        while ((await s.http('GET', '/server/info')).body.result.klippy_state !== 'ready');
      }
    });

    test('a query or a subscribe right after a gcode command sees its effect', async () => {
      await ws.call('printer.objects.subscribe', { objects: { gcode_move: ['homing_origin'], print_stats: null } });
      for (const z of [0.1, 0.2, 0.3]) {
        assert.equal(await ws.call('printer.gcode.script', { script: `SET_GCODE_OFFSET Z=${z}` }), 'ok');
        const q = await ws.call<J>('printer.objects.query', { objects: { gcode_move: ['homing_origin'] } });
        assert.equal(q.status.gcode_move.homing_origin[2], z);
      }
      assert.equal((await s.http('POST', '/printer/gcode/script', { script: 'SET_GCODE_OFFSET Z=0.4' })).status, 200);
      // Another client subscribes to what is already in the union: answered from the cache,
      // which must hold the offset just set.
      const other = await s.ws();
      const sub = await other.call<J>('printer.objects.subscribe', { objects: { gcode_move: ['homing_origin'] } });
      assert.equal(sub.status.gcode_move.homing_origin[2], 0.4);
      await ws.call('printer.gcode.script', { script: 'SET_GCODE_OFFSET Z=0' });
    });

    test('a query, or a new subscription, right after print start, pause, resume and cancel sees the new state', { skip: peer.slowPrints ? false : 'prints on a Klippy without MCU end at once' }, async () => {
      const steps = [
        ['start', 'printing'],
        ['pause', 'paused'],
        ['resume', 'printing'],
        ['cancel', 'cancelled'],
      ] as const;
      const command = async (action: string) => {
        const r = await s.http('POST', `/printer/print/${action}`, action === 'start' ? { filename: SLOW } : undefined);
        assert.equal(r.status, 200, `${action}: ${JSON.stringify(r.body)}`);
      };
      for (const [action, state] of steps) {
        await command(action);
        assert.deepEqual(await printStats(), { state, filename: SLOW }, action);
      }
      // Clients connected beforehand subscribe the moment each command is answered: nothing
      // queried in between, so only the subscribe can notice the cache is behind.
      const late = await Promise.all(steps.map(() => s.ws()));
      for (const [i, [action, state]] of steps.entries()) {
        await command(action);
        const sub = await late[i]!.call<J>('printer.objects.subscribe', { objects: { print_stats: ['state', 'filename'] } });
        assert.deepEqual(sub.status.print_stats, { state, filename: SLOW }, `subscribe after ${action}`);
      }
    });
  });
}
