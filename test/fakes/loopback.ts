/** The HTTP server under each loopback fake: start, stop, and waits that a stop cuts short. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type LoopbackHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

export class LoopbackServer {
  private readonly stopping = new AbortController();
  private server: http.Server | undefined;

  /** `owner` names the fake in errors; a request whose handler throws has its socket destroyed. */
  constructor(
    private readonly owner: string,
    private readonly handler: LoopbackHandler,
  ) {}

  /** Listens on 127.0.0.1 on an ephemeral port; resolves with `http://127.0.0.1:<port>`. */
  async start(): Promise<string> {
    if (this.server) throw new Error(`${this.owner} already started`);
    const server = http.createServer((req, res) => {
      this.handler(req, res).catch(() => req.socket.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Closes the server and every connection (keep-alive ones would hold close() open); pending sleeps give up. */
  async stop(): Promise<void> {
    this.stopping.abort();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Resolves true after `ms`, or false at once when the server stops (so a slow fault ends with the test). */
  sleep(ms: number): Promise<boolean> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onStop = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onStop);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onStop, { once: true });
    });
  }
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
