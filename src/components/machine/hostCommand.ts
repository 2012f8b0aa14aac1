// Runs a host command (shutdown, reboot) through the shell, detached from our process so it
// survives us being stopped by it, and logs what it printed and how it ended.
import { spawn } from 'node:child_process';
import { getLogger } from '../../logger.js';

const log = getLogger('host');

export function runHostCommand(command: string): void {
  log.info(`running: ${command}`);
  const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  child.on('error', (err) => log.error(`${command}: ${err.message}`));
  child.on('exit', (code, signal) => {
    const text = output.join('').trim();
    const how = signal ? `signal ${signal}` : `exit ${code}`;
    if (code === 0) log.info(`${command}: done${text ? `: ${text}` : ''}`);
    else log.error(`${command}: ${how}${text ? `: ${text}` : ''}`);
  });
  child.unref();
}
