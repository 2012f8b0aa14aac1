// Impatient clients against the virtual Klippy in real time (time scale 1): see
// test/helpers/impatientClientSuite.ts.
import { impatientClientSuite } from '../helpers/impatientClientSuite.js';
import { startStack } from '../helpers/testStack.js';

impatientClientSuite({
  name: 'virtual Klippy, time scale 1',
  start: () => startStack({ timeScale: 1, startupDelayMs: 400, restartDelayMs: 200 }),
  slowPrints: true,
  restarts: true,
});
