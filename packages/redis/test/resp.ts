/** A minimal RESP client (one command at a time), so tests can time individual writes. */
import { Socket } from 'node:net';

export function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

export class Resp {
  private buf = '';
  private waiting: ((s: string) => void)[] = [];
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.drain();
    });
  }

  static connect(port: number, timeoutMs = 2000): Promise<Resp> {
    return new Promise((resolve, reject) => {
      const sock = new Socket();
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error('connect timeout'));
      }, timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.connect(port, '127.0.0.1', () => {
        clearTimeout(timer);
        resolve(new Resp(sock));
      });
    });
  }

  /** One reply per line-terminated simple reply or bulk string; enough for AUTH/SET/GET/INCR. */
  private drain(): void {
    while (this.waiting.length > 0) {
      const end = this.buf.indexOf('\r\n');
      if (end < 0) return;
      let reply = this.buf.slice(0, end);
      let consumed = end + 2;
      if (reply.startsWith('$') && reply !== '$-1') {
        const len = Number(reply.slice(1));
        if (this.buf.length < consumed + len + 2) return;
        reply = this.buf.slice(consumed, consumed + len);
        consumed += len + 2;
      }
      this.buf = this.buf.slice(consumed);
      this.waiting.shift()!(reply);
    }
  }

  command(args: readonly string[], timeoutMs = 2000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${args[0]}`)), timeoutMs);
      this.waiting.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.sock.once('close', () => {
        clearTimeout(timer);
        reject(new Error('connection closed'));
      });
      this.sock.write(encode(args));
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** One write on a fresh connection: the reply, or the error text. */
export async function writeOnce(port: number, auth: [string, string], key: string, value: string): Promise<string> {
  let c: Resp | undefined;
  try {
    c = await Resp.connect(port, 1000);
    const a = await c.command(['AUTH', ...auth], 1000);
    if (a !== '+OK') return a;
    return await c.command(['SET', key, value], 1000);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  } finally {
    c?.close();
  }
}
