// One gcode command being executed (Klipper's GCodeCommand): its parameters and the parameter
// helpers whose error texts ("Error on 'G1 X': unable to parse ...") users see in the console.

import { CommandError } from './commandError.js';
import { parsePyFloat, parsePyInt, pyNumber } from './pyValues.js';

export interface ResponseSink {
  respondRaw(msg: string): void;
  respondInfo(msg: string): void;
}

/** Pass as the default to make a parameter required while still giving limits. */
export const REQUIRED: unique symbol = Symbol('required');

interface Limits {
  minval?: number;
  maxval?: number;
  above?: number;
  below?: number;
}

export class GCodeCommand {
  constructor(
    private readonly sink: ResponseSink,
    public command: string,
    readonly commandline: string,
    readonly params: Record<string, string>,
  ) {}

  respondRaw(msg: string): void {
    this.sink.respondRaw(msg);
  }

  respondInfo(msg: string): void {
    this.sink.respondInfo(msg);
  }

  error(message: string): CommandError {
    return new CommandError(message);
  }

  has(name: string): boolean {
    return this.params[name] !== undefined;
  }

  /** A string parameter; without a default a missing one is an error. */
  get(name: string): string;
  get<D>(name: string, dflt: D): string | D;
  get(name: string, ...dflt: unknown[]): unknown {
    const value = this.params[name];
    if (value !== undefined) return value;
    if (dflt.length === 0) throw this.error(`Error on '${this.commandline}': missing ${name}`);
    return dflt[0];
  }

  getFloat(name: string): number;
  getFloat<D>(name: string, dflt: D, limits?: Limits): number | D;
  getFloat(name: string, ...rest: unknown[]): unknown {
    return this.getNumber(name, rest, parsePyFloat, true);
  }

  getInt(name: string): number;
  getInt<D>(name: string, dflt: D, limits?: Limits): number | D;
  getInt(name: string, ...rest: unknown[]): unknown {
    return this.getNumber(name, rest, parsePyInt, false);
  }

  private getNumber(
    name: string,
    rest: unknown[],
    parse: (s: string) => number | undefined,
    isFloat: boolean,
  ): unknown {
    const raw = this.params[name];
    if (raw === undefined) {
      if (rest.length === 0 || rest[0] === REQUIRED) throw this.error(`Error on '${this.commandline}': missing ${name}`);
      return rest[0];
    }
    const value = parse(raw);
    if (value === undefined) throw this.error(`Error on '${this.commandline}': unable to parse ${raw}`);
    const limits = (rest[1] ?? {}) as Limits;
    const show = (n: number): string => pyNumber(n, isFloat);
    const where = `Error on '${this.commandline}': ${name}`;
    if (limits.minval !== undefined && value < limits.minval)
      throw this.error(`${where} must have minimum of ${show(limits.minval)}`);
    if (limits.maxval !== undefined && value > limits.maxval)
      throw this.error(`${where} must have maximum of ${show(limits.maxval)}`);
    if (limits.above !== undefined && value <= limits.above)
      throw this.error(`${where} must be above ${show(limits.above)}`);
    if (limits.below !== undefined && value >= limits.below)
      throw this.error(`${where} must be below ${show(limits.below)}`);
    return value;
  }
}
