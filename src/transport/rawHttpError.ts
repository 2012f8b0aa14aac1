// An HTTP error written straight to a socket, for the moments express is not in the loop: a
// refused websocket upgrade, or a request Node's parser rejected before any route saw it. The
// body is our usual `{error: {code, message}}`, so clients parse one error shape everywhere.
import type { Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export function writeRawHttpError(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: { code: status, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? message}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Node answers requests its parser refuses (a header block over 16 KiB, say) with a bare status
 * line and no body; answer them with a JSON error instead.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') writeRawHttpError(socket, 431, 'Request header fields too large');
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') writeRawHttpError(socket, 408, 'Request timeout');
    else writeRawHttpError(socket, 400, `Bad request: ${err.code ?? 'malformed HTTP'}`);
  });
}
