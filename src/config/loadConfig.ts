// Turns a moonraker.conf-style file plus command-line overrides into a typed config.
// Invalid values are errors that name the file, line, section and option; unknown sections or
// options are returned as warnings for the log.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseIni, type IniSection } from './iniParser.js';
import { CONFIG_SCHEMA, type MoonstateConfig } from './configSchema.js';
import { OptionValueError, type OptionSpec } from './options.js';

export class ConfigError extends Error {}

export interface ConfigSources {
  /** Path of the config file; undefined means defaults only. */
  file?: string | undefined;
  /** Text to parse instead of reading `file` (tests). */
  text?: string;
  dataPath: string;
  /** Command-line values; they win over the file. */
  overrides?: { server?: { host?: string | undefined; port?: number | undefined } };
}

export interface LoadedConfig {
  config: MoonstateConfig;
  warnings: string[];
}

export function loadConfig(sources: ConfigSources): LoadedConfig {
  const warnings: string[] = [];
  let sections = new Map<string, IniSection>();
  const sourceName = sources.file ?? '<defaults>';
  if (sources.text !== undefined || sources.file !== undefined) {
    let text: string;
    if (sources.text !== undefined) text = sources.text;
    else {
      try {
        text = readFileSync(sources.file!, 'utf8');
      } catch (err) {
        throw new ConfigError(`cannot read config file ${sources.file}: ${(err as Error).message}`);
      }
    }
    try {
      sections = parseIni(text, sourceName);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  const ctx = { configDir: sources.file ? dirname(sources.file) : process.cwd() };
  const schema = CONFIG_SCHEMA as Record<string, Record<string, OptionSpec<unknown>>>;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [sectionName, options] of Object.entries(schema)) {
    const section = sections.get(sectionName);
    const values: Record<string, unknown> = {};
    for (const [optName, spec] of Object.entries(options)) {
      const raw = section?.options.get(optName);
      if (raw === undefined) {
        values[optName] = spec.defaultValue();
        continue;
      }
      try {
        values[optName] = spec.parse(raw.value, ctx);
      } catch (err) {
        if (!(err instanceof OptionValueError)) throw err;
        throw new ConfigError(
          `${sourceName}:${raw.line}: [${sectionName}] ${optName}: ${err.message} (expected ${spec.kind})`,
        );
      }
    }
    out[sectionName] = values;
  }
  for (const section of sections.values()) {
    // Section and option names come from the file: `[constructor]` is unknown, not Object's.
    const known = Object.hasOwn(schema, section.name) ? schema[section.name] : undefined;
    if (!known) {
      warnings.push(`${sourceName}:${section.line}: unknown section [${section.name}] ignored`);
      continue;
    }
    for (const [optName, v] of section.options) {
      if (!Object.hasOwn(known, optName)) {
        warnings.push(`${sourceName}:${v.line}: unknown option "${optName}" in [${section.name}] ignored`);
      }
    }
  }
  const config = out as unknown as MoonstateConfig;
  const o = sources.overrides?.server;
  if (o?.host !== undefined) config.server.host = o.host;
  if (o?.port !== undefined) config.server.port = o.port;
  config.dataPath = sources.dataPath;
  config.configFile = sources.file;
  config.orig = Object.fromEntries(
    [...sections.values()].map((sec) => [sec.name, Object.fromEntries([...sec.options].map(([k, v]) => [k, v.value]))]),
  );
  config.warnings = warnings;
  return { config, warnings };
}
