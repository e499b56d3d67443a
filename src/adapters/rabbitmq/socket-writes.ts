import type { ChannelModel } from 'amqplib';
import { Writable } from 'node:stream';

/**
 * The AMQP socket's write buffer: a whole publish call (a claim's heads, ~1.2 KB a message) fits, so
 * that amqplib's writer does not stop at the default 64 KB mark, while the socket is corked, to wait
 * for a drain that only the uncork brings. The relay's window bounds what is buffered, as before.
 */
export const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** The connection's socket (amqplib keeps it as `connection.stream`), if it is one. */
export function connectionSocket(model: ChannelModel): Writable | undefined {
  const stream = (model.connection as { stream?: unknown }).stream;
  return stream instanceof Writable ? stream : undefined;
}

/**
 * Corks the socket until the messages published after this call have been written: call the
 * function returned once they are published. amqplib's writer (its mux) writes each message to the
 * socket on its own, one system call each; corked, they leave in one writev. The writer runs in an
 * immediate that the first message's 'readable' next tick schedules, so the uncork goes in an
 * immediate scheduled after that one — from a next tick queued after the messages. A single message
 * is corked too: the next rows of many chains go out one call each, in the tick of the confirms that
 * release them.
 */
export function corkWhileWriting(socket: Writable | undefined): () => void {
  if (socket === undefined) return () => undefined;
  socket.cork();
  return () => process.nextTick(() => setImmediate(() => socket.uncork()));
}

/** amqplib takes a Buffer: the bytes themselves when they are one, else a view of them (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
