// Impatient clients against a virtual Klippy whose status tick is three times Klippy's: the
// status cache then lags a command by up to 0.75 s, so reading it after one would be seen.
import { impatientClientSuite } from '../helpers/impatientClientSuite.js';
import { startStack } from '../helpers/testStack.js';

impatientClientSuite({
  name: 'virtual Klippy with a slow status tick',
  start: () => startStack({ timeScale: 1, startupDelayMs: 400, statusTickMs: 750 }),
  slowPrints: true,
  restarts: false,
});
