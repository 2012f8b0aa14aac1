// Turns a moonraker.conf (and the files it includes) plus command-line overrides into a typed
// config. Invalid values are errors that name the file, line, section and option; sections and
// options nobody knows are returned as warnings, worded as Moonraker words them, for the log and
// server.info. It also decides which Klippy to talk to.
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { IniSyntaxError, parseIni, type IniSection } from './iniParser.js';
import { ConfigFileError, readConfigFiles } from './configFiles.js';
import { CONFIG_SCHEMA, WEBCAM_SCHEMA, type KlippyChoice, type MoonstateConfig, type WebcamConfig } from './configSchema.js';
import { OptionValueError, type OptionSpec, type ParseContext } from './options.js';
import { MOONRAKER_ONLY_COMPONENTS, MOONRAKER_ONLY_OPTIONS, OPTIONLESS_SECTIONS, componentOf } from './moonrakerSections.js';

export class ConfigError extends Error {}

export interface ConfigSources {
  /** Path of the config file; undefined (and no text) means no config file: defaults only. */
  file?: string | undefined;
  /** Text to parse instead of reading `file` (tests); it counts as a config file. */
  text?: string;
  dataPath: string;
  /** Command-line values; they win over the file. */
  overrides?: { server?: { host?: string | undefined; port?: number | undefined } };
  /** Why there is no config file, for the start-up log (the CLI says where it looked). */
  noFileReason?: string;
  /**
   * The sections components read, with their options (src/components: COMPONENT_OPTIONS).
   * They are parsed here like the kernel's own: a bad value in a core component's section stops
   * startup; in an optional one's it is recorded (config.componentSections) and fails that
   * component only. Without them those sections are unknown (warned about, not typed).
   */
  componentOptions?: Readonly<Record<string, ComponentSection>>;
}

/** A config section a component reads: its options, and whether the component is optional. */
export interface ComponentSection {
  options: Readonly<Record<string, OptionSpec<unknown>>>;
  optional?: boolean | undefined;
  /** Options Moonraker reads here that change nothing in moonstate: quiet, typed in server.config. */
  moonrakerOnly?: Readonly<Record<string, OptionSpec<unknown>>> | undefined;
}

export interface LoadedConfig {
  config: MoonstateConfig;
  warnings: string[];
}

type Schema = Record<string, OptionSpec<unknown>>;

// Section and option names come from the user's file: `__proto__` or `constructor` must be looked
// up as names, never reach an object's prototype.
const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

const LEGACY_KLIPPY_SOCKET = '/tmp/klippy_uds';

/** The Klippy socket under the data path, where installers (KIAUH, MainsailOS) put it. */
export const defaultKlippySocket = (dataPath: string) => join(dataPath, 'comms', 'klippy.sock');

function readSections(sources: ConfigSources): { sections: Map<string, IniSection>; files: MoonstateConfig['configFiles'] } {
  try {
    if (sources.text !== undefined) return { sections: parseIni(sources.text, sources.file ?? 'config'), files: [] };
    if (sources.file !== undefined) {
      const read = readConfigFiles(sources.file);
      return { sections: read.sections, files: read.files };
    }
  } catch (err) {
    // Syntax errors, unreadable files and bad includes all name the file and line already.
    if (err instanceof ConfigFileError || err instanceof IniSyntaxError) throw new ConfigError(err.message);
    throw err;
  }
  return { sections: new Map(), files: [] };
}

const asWritten = (source: string | undefined) => source ?? 'config';

/** Typed values of a section, defaults filled in; a bad value is a ConfigError naming file (as `show` names it), line, section and option. */
function parseSection(
  section: IniSection | undefined,
  schema: Readonly<Schema>,
  name: string,
  ctx: ParseContext,
  show: (source: string | undefined) => string = asWritten,
): Record<string, unknown> {
  // Keys come from our schema only, so a plain object is safe here.
  const values: Record<string, unknown> = {};
  for (const [optName, spec] of Object.entries(schema)) {
    const raw = section?.options.get(optName);
    if (raw === undefined) {
      values[optName] = spec.defaultValue();
      continue;
    }
    try {
      values[optName] = spec.parse(raw.value, ctx);
    } catch (err) {
      if (!(err instanceof OptionValueError)) throw err;
      throw new ConfigError(`${show(raw.source)}:${raw.line}: [${name}] ${optName}: ${err.message} (expected ${spec.kind})`);
    }
  }
  return values;
}

export function loadConfig(sources: ConfigSources): LoadedConfig {
  const warnings: string[] = [];
  const hasFile = sources.text !== undefined || sources.file !== undefined;
  const { sections, files } = readSections(sources);
  // Warnings reach clients (server.info): files are named from the config folder, not the disk root.
  const baseDir = sources.file ? dirname(sources.file) : undefined;
  const shown = (source: string | undefined) => {
    if (source === undefined) return 'config';
    if (baseDir === undefined) return source;
    const rel = relative(baseDir, source);
    return rel.startsWith('..') || isAbsolute(rel) ? basename(source) : rel;
  };
  const ctx: ParseContext = { configDir: sources.file ? dirname(sources.file) : process.cwd(), dataPath: sources.dataPath };
  const schema = CONFIG_SCHEMA as Record<string, Schema>;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [sectionName, options] of Object.entries(schema)) out[sectionName] = parseSection(sections.get(sectionName), options, sectionName, ctx);
  // Components' sections. A core component's is read like the kernel's own (present or not, a
  // bad value stops startup); an optional component's only when it will load (its section is
  // there, or there is no file), and a bad value there is kept for the component host to
  // report, worded for server.info (no absolute paths).
  const claimed: Readonly<Record<string, ComponentSection>> = sources.componentOptions ?? {};
  const componentSections: MoonstateConfig['componentSections'] = Object.create(null);
  for (const [name, c] of Object.entries(claimed)) {
    if (Object.hasOwn(schema, name)) continue;
    if (!c.optional) {
      componentSections[name] = { values: parseSection(sections.get(name), c.options, name, ctx) };
      continue;
    }
    if (hasFile && !sections.has(name)) continue;
    try {
      componentSections[name] = { values: parseSection(sections.get(name), c.options, name, ctx, shown) };
      if (c.moonrakerOnly) parseSection(sections.get(name), c.moonrakerOnly, name, ctx, shown);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      componentSections[name] = { error: err.message };
    }
  }
  /** The options of a section with a schema (the kernel's or a component's); undefined for the others. */
  const knownOptions = (name: string): Readonly<Schema> | undefined => own(schema, name) ?? own(claimed, name)?.options;
  /** Options Moonraker reads in a section moonstate knows, accepted without effect. */
  const moonrakerOnly = (name: string): Readonly<Schema> | undefined => own(MOONRAKER_ONLY_OPTIONS, name) ?? own(claimed, name)?.moonrakerOnly;
  const unknownOptions = (section: IniSection, known: Readonly<Schema>) => {
    const tolerated = moonrakerOnly(section.name) ?? {};
    for (const [optName, v] of section.options) {
      if (Object.hasOwn(known, optName) || Object.hasOwn(tolerated, optName)) continue;
      warnings.push(
        `${shown(v.source)}:${v.line}: Unparsed config option '${optName}: ${v.value}' detected in section [${section.name}]. ` +
          'It is not an option of this section; it is ignored.',
      );
    }
  };

  const webcams: WebcamConfig[] = [];
  const parsed: Record<string, Record<string, unknown>> = Object.create(null);
  const notHere: string[] = [];
  for (const section of sections.values()) {
    const where = `${shown(section.source)}:${section.line}`;
    const component = componentOf(section.name);
    const known = knownOptions(section.name);
    if (known) {
      unknownOptions(section, known);
      // An optional component's section with a bad value: server.config shows it as written.
      if (own(componentSections, section.name) && 'error' in componentSections[section.name]!) {
        parsed[section.name] = Object.fromEntries([...section.options].map(([k, v]) => [k, v.value]));
      }
      continue;
    }
    if (component === 'webcam' && section.name !== 'webcam') {
      let cam: WebcamConfig;
      try {
        cam = parseSection(section, WEBCAM_SCHEMA, section.name, ctx, shown) as WebcamConfig;
      } catch (err) {
        // As in Moonraker, a bad webcam section costs that webcam, not the server.
        if (!(err instanceof ConfigError)) throw err;
        warnings.push(`${err.message}; this webcam is ignored`);
        continue;
      }
      const name = section.name.slice('webcam '.length).trim();
      if (cam.stream_url === undefined || cam.stream_url === '') {
        warnings.push(`${where}: [${section.name}] has no stream_url; this webcam is ignored`);
        continue;
      }
      webcams.push({ ...cam, name });
      parsed[section.name] = { ...cam };
      continue;
    }
    if (OPTIONLESS_SECTIONS.has(section.name)) {
      parsed[section.name] = parseSection(section, moonrakerOnly(section.name) ?? {}, section.name, ctx);
      unknownOptions(section, {});
      continue;
    }
    // Sections of other components keep their strings: clients read them from server.config.
    parsed[section.name] = Object.fromEntries([...section.options].map(([k, v]) => [k, v.value]));
    if (MOONRAKER_ONLY_COMPONENTS.has(component)) notHere.push(section.name);
    else {
      warnings.push(
        `${where}: Unparsed config section [${section.name}] detected. No component of Moonraker or moonstate reads it; it is ignored.`,
      );
    }
  }
  if (notHere.length > 0) {
    warnings.push(
      `moonstate does not have these Moonraker components; their sections are reported by server.config and otherwise ignored: ${notHere.map((n) => `[${n}]`).join(', ')}`,
    );
  }

  const config = out as unknown as MoonstateConfig;
  const o = sources.overrides?.server;
  if (o?.host !== undefined) config.server.host = o.host;
  if (o?.port !== undefined) config.server.port = o.port;
  config.dataPath = sources.dataPath;
  config.configFile = sources.file;
  config.hasConfigFile = hasFile;
  config.configFiles = files;
  config.warnings = warnings;
  config.klippy = chooseKlippy(config, hasFile, sections, sources);
  config.orig = Object.create(null);
  // configparser always has its DEFAULT section, and Moonraker's orig lists it.
  if (hasFile) config.orig.DEFAULT = {};
  for (const sec of sections.values()) config.orig[sec.name] = Object.fromEntries([...sec.options].map(([k, v]) => [k, v.orig ?? v.value]));
  config.componentSections = componentSections;
  config.parsed = Object.create(null);
  // Sections are shown typed, with their defaults: the kernel's and core components' present or
  // not, an optional component's when it loads.
  const typed = new Map(Object.entries(out));
  for (const [name, s] of Object.entries(componentSections)) if ('values' in s) typed.set(name, s.values);
  for (const [name, values] of typed) {
    const extra = moonrakerOnly(name);
    config.parsed[name] = { ...(extra ? parseSection(sections.get(name), extra, name, ctx) : {}), ...values };
    // Moonraker keeps a templated option's source in its parsed config, not the rendered value.
    for (const [optName, v] of sections.get(name)?.options ?? []) {
      if (v.value.includes('{') && optName in config.parsed[name]) config.parsed[name][optName] = v.value;
    }
  }
  Object.assign(config.parsed, parsed);
  config.webcams = webcams;
  config.warnings = warnings;
  return { config, warnings };
}

/**
 * The virtual Klippy runs when there is no config file at all (a first `npm start`) or when the
 * config has a [virtual_klippy] section; otherwise Klippy's socket is klippy_uds_address or
 * Moonraker's default, and the server waits for Klippy there.
 */
function chooseKlippy(config: MoonstateConfig, hasFile: boolean, sections: Map<string, IniSection>, sources: ConfigSources): KlippyChoice {
  const vk = sections.get('virtual_klippy');
  if (!hasFile) {
    config.server.klippy_uds_address = undefined;
    return { virtual: true, reason: sources.noFileReason ?? 'no config file' };
  }
  if (vk) {
    const ignored = config.server.klippy_uds_address !== undefined ? ` (it wins over klippy_uds_address ${config.server.klippy_uds_address})` : '';
    config.server.klippy_uds_address = undefined;
    return { virtual: true, reason: `the config has a [virtual_klippy] section at ${vk.source ?? 'config'}:${vk.line}${ignored}` };
  }
  if (config.server.klippy_uds_address !== undefined) return { virtual: false, reason: 'klippy_uds_address in [server]' };
  config.server.klippy_uds_address = defaultKlippySocket(sources.dataPath);
  // Moonraker's own code defaults to /tmp/klippy_uds, where Klipper installs from before
  // printer_data put the socket; every installer today writes klippy_uds_address out.
  if (!existsSync(config.server.klippy_uds_address) && existsSync(LEGACY_KLIPPY_SOCKET)) {
    config.warnings.push(
      `No klippy_uds_address in [server]: waiting for Klippy at {data_path}/comms/klippy.sock, but a socket exists at ${LEGACY_KLIPPY_SOCKET} (Moonraker's built-in default). Set klippy_uds_address if Klippy is there.`,
    );
  }
  return { virtual: false, reason: 'no klippy_uds_address in [server]: the socket under the data path, where Klipper installs put it' };
}
