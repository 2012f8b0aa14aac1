// `moonstate-sim scenario FILE [--out FILE] [--time-scale N] [--verbose]`: runs a scenario
// (JSON or YAML) against a sandbox printer with inspection on and writes the recording
// (transitions with relative times) as JSON to --out or stdout. Progress goes to stderr.
// Exit status: 0 when every step passed, 1 when one failed (the recording says which), 2 on
// a usage or scenario-file error.
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readScenario, describeStep, ScenarioError } from './scenario.js';
import { runScenario } from './runScenario.js';
import { logSink } from '../logger.js';

export const SCENARIO_USAGE = `usage: moonstate-sim scenario FILE [--out FILE] [--time-scale N] [--verbose]

  FILE               a scenario in JSON or YAML (see scenarios/ and README)
  -o, --out FILE     write the recording here (default: stdout)
      --time-scale N override the scenario's timeScale
  -v, --verbose      show the server's log on stderr`;

export async function scenarioMain(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        'time-scale': { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`moonstate-sim scenario: ${(err as Error).message}\n${SCENARIO_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${SCENARIO_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`moonstate-sim scenario: give one scenario file\n${SCENARIO_USAGE}\n`);
    return 2;
  }
  let scenario;
  try {
    scenario = readScenario(positionals[0]!);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    process.stderr.write(`moonstate-sim scenario: ${err.message}\n`);
    return 2;
  }
  if (values['time-scale'] !== undefined) {
    const n = Number(values['time-scale']);
    if (!Number.isFinite(n) || n <= 0) {
      process.stderr.write('moonstate-sim scenario: --time-scale must be a positive number\n');
      return 2;
    }
    scenario.timeScale = n;
  }
  logSink.console = values.verbose === true;
  const total = scenario.steps.length;
  const recording = await runScenario(scenario, {
    onStep: (i, step) => process.stderr.write(`[${i + 1}/${total}] ${describeStep(step)}\n`),
  });
  const json = JSON.stringify(recording, null, 2) + '\n';
  if (values.out !== undefined) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, json);
  } else process.stdout.write(json);
  process.stderr.write(
    recording.ok
      ? `${scenario.name}: ${total} steps, ${recording.transitions.length} transitions recorded${values.out ? ` in ${values.out}` : ''}\n`
      : `${scenario.name}: FAILED: ${recording.error}\n`,
  );
  return recording.ok ? 0 : 1;
}
