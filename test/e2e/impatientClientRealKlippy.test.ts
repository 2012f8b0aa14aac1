// Impatient clients against today's real Klippy (../shared/klipper, batch mode, no MCU): skipped,
// saying why, only when that folder is absent.
import { impatientClientSuite } from '../helpers/impatientClientSuite.js';
import { realKlippySkip } from '../helpers/realKlippy.js';
import { startRealKlippyStack } from '../helpers/testStack.js';

impatientClientSuite({ name: "today's real Klippy", start: () => startRealKlippyStack(), skip: realKlippySkip, slowPrints: false, restarts: true });
