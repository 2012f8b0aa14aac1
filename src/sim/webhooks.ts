// Klippy's webhooks (webhooks.py): the endpoint registry, request parameter helpers with their
// exact error texts, and the core endpoints (list_endpoints, info, emergency_stop,
// register_remote_method). Also the "webhooks" printer object reporting state.

import type { JsonObject, KlippyReply } from '../shared/klippyProtocol.js';
import { CommandError } from './gcode/commandError.js';
import type { Printer } from './printer.js';
import type { StatusSource } from './printerObject.js';
import { PrinterGone } from './scheduler.js';

/** The socket side of a request, as the endpoints see it. */
export interface WebConnection {
  readonly uid: number;
  isClosed(): boolean;
  send(message: JsonObject): void;
  setClientInfo(info: unknown): void;
}

export class WebRequestError extends CommandError {
  override name = 'WebRequestError';
}

type ParamType = 'str' | 'int' | 'float' | 'dict';

function isDict(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, t: ParamType): boolean {
  switch (t) {
    case 'str':
      return typeof v === 'string';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
      return typeof v === 'number';
    case 'dict':
      return isDict(v);
  }
}

const MISSING = Symbol('missing');

export class WebRequest {
  private response: JsonObject | undefined;
  private isError = false;

  constructor(
    readonly conn: WebConnection,
    readonly id: unknown,
    readonly method: string,
    readonly params: JsonObject,
  ) {}

  private get<T>(item: string, type: ParamType, dflt: T | typeof MISSING): unknown {
    const present = Object.hasOwn(this.params, item);
    if (!present) {
      if (dflt === MISSING) throw new WebRequestError(`Missing Argument [${item}]`);
      return dflt;
    }
    const value = this.params[item];
    if (!hasType(value, type)) throw new WebRequestError(`Invalid Argument Type [${item}]`);
    return value;
  }

  getStr(item: string): string;
  getStr<T>(item: string, dflt: T): string | T;
  getStr(item: string, ...d: unknown[]): unknown {
    return this.get(item, 'str', d.length ? d[0] : MISSING);
  }

  getDict(item: string): JsonObject;
  getDict<T>(item: string, dflt: T): JsonObject | T;
  getDict(item: string, ...d: unknown[]): unknown {
    return this.get(item, 'dict', d.length ? d[0] : MISSING);
  }

  send(data: JsonObject): void {
    if (this.response !== undefined) throw new WebRequestError('Multiple calls to send not allowed');
    this.response = data;
  }

  setError(message: string): void {
    this.isError = true;
    this.response = { error: 'WebRequestError', message };
  }

  /** The reply frame, or null when the request had no id (Klippy stays silent then). */
  finish(): KlippyReply | null {
    if (this.id === null || this.id === undefined) return null;
    const body = this.response ?? {};
    return this.isError
      ? { id: this.id, error: body as { error: string; message: string } }
      : { id: this.id, result: body };
  }
}

export type Endpoint = (req: WebRequest) => void | Promise<void>;

export class Webhooks implements StatusSource {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly remoteMethods = new Map<string, Map<WebConnection, JsonObject>>();

  constructor(private readonly printer: Printer) {
    this.endpoints.set('list_endpoints', (req) => req.send({ endpoints: [...this.endpoints.keys()] }));
    this.registerEndpoint('info', (req) => this.handleInfo(req));
    this.registerEndpoint('emergency_stop', () => printer.invokeShutdown('Shutdown due to webhooks request'));
    this.registerEndpoint('register_remote_method', (req) => {
      const template = req.getDict('response_template');
      const method = req.getStr('remote_method');
      printer.log.info(`webhooks: registering remote method '${method}' for connection id: ${req.conn.uid}`);
      const conns = this.remoteMethods.get(method) ?? new Map<WebConnection, JsonObject>();
      conns.set(req.conn, template);
      this.remoteMethods.set(method, conns);
    });
  }

  registerEndpoint(path: string, callback: Endpoint): void {
    if (this.endpoints.has(path)) throw new Error('Path already registered to an endpoint');
    this.endpoints.set(path, callback);
  }

  /** Runs one request to completion and returns the reply to send (null: send nothing). */
  async process(req: WebRequest): Promise<KlippyReply | null> {
    try {
      const cb = this.endpoints.get(req.method);
      if (!cb) {
        const msg = `webhooks: No registered callback for path '${req.method}'`;
        this.printer.log.info(msg);
        throw new WebRequestError(msg);
      }
      await cb(req);
    } catch (e) {
      if (e instanceof PrinterGone) return null;
      if (e instanceof CommandError) {
        req.setError(e.message);
      } else {
        const msg = `Internal Error on WebRequest: ${req.method}`;
        this.printer.log.info(`${msg}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        req.setError(e instanceof Error ? e.message : String(e));
        this.printer.invokeShutdown(msg);
      }
    }
    return req.finish();
  }

  private handleInfo(req: WebRequest): void {
    const clientInfo = req.getDict('client_info', null);
    if (clientInfo !== null) req.conn.setClientInfo(clientInfo);
    const [stateMessage, state] = this.printer.getStateMessage();
    const a = this.printer.startArgs;
    req.send({
      state,
      state_message: stateMessage,
      hostname: a.hostname,
      klipper_path: a.klipperPath,
      python_path: a.pythonPath,
      process_id: process.pid,
      user_id: process.getuid?.() ?? 0,
      group_id: process.getgid?.() ?? 0,
      log_file: a.logFile,
      config_file: a.configFile,
      software_version: a.softwareVersion,
      cpu_info: a.cpuInfo,
    });
  }

  /** Klippy's call_remote_method (used by macros via action_call_remote_method). */
  callRemoteMethod(method: string, params: JsonObject): void {
    const conns = this.remoteMethods.get(method);
    if (!conns) throw new CommandError(`Remote method '${method}' not registered`);
    let live = 0;
    for (const [conn, template] of conns) {
      if (conn.isClosed()) {
        conns.delete(conn);
        continue;
      }
      live++;
      conn.send({ params, ...template });
    }
    if (!live) {
      this.remoteMethods.delete(method);
      throw new CommandError(`No active connections for method '${method}'`);
    }
  }

  getStatus(): JsonObject {
    const [stateMessage, state] = this.printer.getStateMessage();
    return { state, state_message: stateMessage };
  }
}
