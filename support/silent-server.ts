/**
 * A TCP server on a free loopback port that accepts every connection, reads
 * what the client sends and never answers: what a hung database host looks
 * like to a client (for connect-timeout tests).
 */
import { createServer, type Socket } from 'node:net';

/** A running {@link startSilentServer}. */
export interface SilentServer {
  readonly port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Drops every open connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a server that accepts connections and never answers. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // read the startup packet, answer nothing
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
