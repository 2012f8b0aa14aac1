// Which API a caller speaks, decided once per connection and applied where replies are shaped.

/**
 * The spec's (Moonraker as of September 2020) or today's Moonraker. HTTP callers get the
 * configured default; a websocket switches to `current` when it calls server.connection.identify.
 */
export type Dialect = 'spec' | 'current';
