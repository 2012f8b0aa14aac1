// Runs a scenario against a sandbox printer and records every machine transition with the
// time it happened, relative to the start: an exact, replayable sequence for UI authors and a
// fixture for tests. Steps drive the server over its HTTP API, as a client would.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Subscription } from 'rxjs';
import { Inspection, type InspectionMessage } from '../actors/inspection.actor.js';
import { MACHINES } from '../machines/index.js';
import { startSandbox, type Sandbox } from './sandbox.js';
import { describeStep, type Scenario, type Step } from './scenario.js';

export interface RecordedTransition {
  /** Seconds since the run started (wall clock). */
  t: number;
  machine: string;
  actorId: string;
  from: string | null;
  to: string;
  event: string;
}

export interface RecordedStep {
  step: number;
  does: string;
  t: number;
  /** When it finished; absent if it failed. */
  done?: number;
}

export interface Recording {
  scenario: string;
  file?: string;
  timeScale: number;
  startedAt: string;
  ok: boolean;
  error?: string;
  /** Each machine actor's first state, when it started. */
  initial: Array<{ t: number; machine: string; actorId: string; state: string }>;
  steps: RecordedStep[];
  transitions: RecordedTransition[];
}

export interface RunOptions {
  /** Called before each step (progress output). */
  onStep?: (index: number, step: Step) => void;
}

const round = (s: number) => Math.round(s * 1000) / 1000;

/** `state` names the actor's state if it equals it, is an ancestor of it or is its full id. */
export function stateMatches(actual: { state: string; states: string[] }, want: string): boolean {
  return actual.states.includes(want) || actual.state.split(',').some((leaf) => leaf === want || leaf.startsWith(want + '.'));
}

export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<Recording> {
  const inspection = new Inspection({ enabled: true, machines: MACHINES.map((m) => m.id) });
  const t0 = performance.now();
  const now = () => round((performance.now() - t0) / 1000);
  const rec: Recording = {
    scenario: scenario.name,
    ...(scenario.file ? { file: scenario.file } : {}),
    timeScale: scenario.timeScale,
    startedAt: new Date().toISOString(),
    ok: false,
    initial: [],
    steps: [],
    transitions: [],
  };
  /** Latest state of each live actor, by machine then actor id. */
  const live = new Map<string, Map<string, { state: string; states: string[] }>>();
  const listeners = new Set<() => void>();
  const sub: Subscription = inspection.messages$.subscribe((m: InspectionMessage) => {
    if (m.type === 'hello' || m.type === 'event') return;
    const actors = live.get(m.machine) ?? new Map<string, { state: string; states: string[] }>();
    live.set(m.machine, actors);
    if (m.type === 'actor') {
      if (m.status === 'active') {
        actors.set(m.actorId, { state: m.state, states: m.states });
        rec.initial.push({ t: now(), machine: m.machine, actorId: m.actorId, state: m.state });
      } else actors.delete(m.actorId);
    } else if (m.type === 'transition') {
      actors.set(m.actorId, { state: m.to, states: m.states });
      rec.transitions.push({ t: now(), machine: m.machine, actorId: m.actorId, from: m.from, to: m.to, event: m.event });
    } else {
      actors.set(m.actorId, { state: m.state, states: m.states });
    }
    for (const l of listeners) l();
  });

  const describeLive = (machine: string) =>
    [...(live.get(machine)?.values() ?? [])].map((a) => a.state).join(', ') || 'no live actor';

  const waitState = (machine: string, state: string, timeoutS: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = () => [...(live.get(machine)?.values() ?? [])].some((a) => stateMatches(a, state));
      if (check()) {
        resolve();
        return;
      }
      const listener = () => {
        if (!check()) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`${machine} not in ${state} within ${timeoutS} s (it is in ${describeLive(machine)})`));
      }, timeoutS * 1000);
      listeners.add(listener);
    });

  let box: Sandbox | undefined;
  try {
    box = await startSandbox({ timeScale: scenario.timeScale, inspection });
    const sandbox = box;
    const post = async (path: string, body?: unknown) => {
      const res = await fetch(sandbox.url + path, {
        method: 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) {
        let message = text;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
        } catch {
          /* not JSON */
        }
        throw new Error(`${res.status} ${message.trim()}`);
      }
    };
    const gcode = (script: string) => post('/printer/gcode/script', { script });

    for (const [i, step] of scenario.steps.entries()) {
      const r: RecordedStep = { step: i + 1, does: describeStep(step), t: now() };
      rec.steps.push(r);
      opts.onStep?.(i, step);
      try {
        switch (step.kind) {
          case 'connect':
            await sandbox.startKlippy();
            await waitState('klippyConnection', 'connected.ready', step.timeout);
            break;
          case 'upload':
            mkdirSync(dirname(join(sandbox.gcodesPath, step.name)), { recursive: true });
            writeFileSync(join(sandbox.gcodesPath, step.name), step.content);
            break;
          case 'gcode':
            await gcode(step.script);
            break;
          case 'print':
            await gcode(`SDCARD_PRINT_FILE FILENAME=${/\s/.test(step.file) ? JSON.stringify(step.file) : step.file}`);
            break;
          case 'pause':
            await gcode('PAUSE');
            break;
          case 'resume':
            await gcode('RESUME');
            break;
          case 'cancel':
            await gcode('CANCEL_PRINT');
            break;
          case 'klippy':
            // Done when the server has seen it happen, so the next step starts from there.
            if (step.action === 'disconnect') await sandbox.stopKlippy();
            else if (step.action === 'shutdown') await post('/printer/emergency_stop');
            else await post(`/printer/${step.action}`);
            await waitState('klippyConnection', step.action === 'shutdown' ? 'connected.shutdown' : 'disconnected', 10);
            break;
          case 'wait':
            await waitState(step.machine, step.state, step.timeout);
            break;
          case 'sleep':
            await new Promise((res) => setTimeout(res, step.seconds * 1000));
            break;
        }
      } catch (err) {
        throw new Error(`step ${i + 1} (${describeStep(step)}): ${(err as Error).message}`);
      }
      r.done = now();
    }
    rec.ok = true;
  } catch (err) {
    rec.error = (err as Error).message;
  } finally {
    // Stop recording first: shutting the sandbox down is not part of the scenario.
    sub.unsubscribe();
    listeners.clear();
    await box?.close();
    inspection.close();
  }
  return rec;
}
