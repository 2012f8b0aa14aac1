// Every state machine of moonstate. The diagrams in visualizations/ are generated from this
// list (npm run viz), and the test command fails when they are out of date.
import type { AnyStateMachine } from 'xstate';
import { klippyConnectionMachine } from './klippyConnection.machine.js';
import { printJobMachine } from './printJob.machine.js';
import { oneshotTokenMachine } from './oneshotToken.machine.js';
import { jobQueueMachine } from './jobQueue.machine.js';
import { statusSubscriptionMachine } from './statusSubscription.machine.js';

export const MACHINES: readonly AnyStateMachine[] = [
  klippyConnectionMachine,
  printJobMachine,
  oneshotTokenMachine,
  jobQueueMachine,
  statusSubscriptionMachine,
];
