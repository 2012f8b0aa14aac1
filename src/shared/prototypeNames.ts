// Names that reach an object's prototype machinery when used as a key. A client may not use
// them as the name of anything (a JSON key, a database namespace or key, a config section).

const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const isPrototypeName = (name: string): boolean => PROTOTYPE_NAMES.has(name);
