// Who a request is, in Moonraker's terms, while moonstate has no user accounts: a client let in
// because its address is trusted (or because authorization is off) is Moonraker's reserved
// trusted user; any other client got in with the API key or a oneshot token asked for with it,
// so it is the reserved API-key user. Clients read the name: Fluidd and Mainsail skip asking
// for oneshot tokens when the user is the trusted one.

export const TRUSTED_USER = '_TRUSTED_USER_';
export const API_KEY_USER = '_API_KEY_USER_';

export interface UserInfo {
  username: string;
  /** Where the user's account lives; Moonraker's own store is "moonraker". */
  source: 'moonraker';
  /** Unix time (s) the user was first seen. */
  created_on: number;
}

/** How many trusted addresses we remember a first-seen time for; the oldest is forgotten first. */
const MAX_REMEMBERED = 1024;

export class CurrentUsers {
  private readonly trustedSince = new Map<string, number>();

  constructor(
    private readonly isTrusted: (address: string) => boolean,
    /** When the API-key user came to be: the server's start (the key file predates it). */
    private readonly apiKeyUserCreated: number,
  ) {}

  /** The user of a request from `address` that the authorization layer already let in. */
  of(address: string, nowSeconds: number): UserInfo {
    if (!this.isTrusted(address)) return { username: API_KEY_USER, source: 'moonraker', created_on: this.apiKeyUserCreated };
    let since = this.trustedSince.get(address);
    if (since === undefined) {
      since = nowSeconds;
      if (this.trustedSince.size >= MAX_REMEMBERED) this.trustedSince.delete(this.trustedSince.keys().next().value as string);
      this.trustedSince.set(address, since);
    }
    return { username: TRUSTED_USER, source: 'moonraker', created_on: since };
  }

  trusted(address: string): boolean {
    return this.isTrusted(address);
  }
}
