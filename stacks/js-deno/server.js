// Entry point: parse --port/--workers, then serve in this process, or (more
// than one worker) spawn that many server processes sharing the port with
// SO_REUSEPORT (Deno.serve's reusePort). Chat rooms are per process, as in
// the Python stacks. --tls (js-deno@h2) serves the same routes over TLS
// with the certificate and key files named by TLS_CERT and TLS_KEY (ringside
// makes a throwaway self-signed pair at launch): Deno.serve then speaks
// HTTP/2 to a client that picks h2 by ALPN.
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: 'string', default: Deno.env.get('RINGSIDE_PORT') ?? '8080' },
    workers: { type: 'string', default: Deno.env.get('RINGSIDE_WORKERS') ?? '1' },
    child: { type: 'boolean', default: false },
    tls: { type: 'boolean', default: false },
  },
});
const port = Number.parseInt(args.port, 10);
const workers = Math.max(1, Number.parseInt(args.workers, 10) || 1);
// The permissions this process runs with, passed on to the children.
const PERMISSIONS = ['--allow-net', '--allow-env', '--allow-read', '--allow-write'];

if (workers > 1 && !args.child) {
  let stopping = false;
  const children = [];
  for (let i = 0; i < workers; i++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        'run',
        ...PERMISSIONS,
        // Deno.listenTls's reusePort is behind --unstable-net (Deno 2.9).
        ...(args.tls ? ['--unstable-net'] : []),
        new URL(import.meta.url).pathname,
        '--port',
        String(port),
        '--child',
        ...(args.tls ? ['--tls'] : []),
      ],
      stdin: 'null',
    }).spawn();
    child.status.then((status) => {
      if (!stopping) {
        console.error(`worker ${child.pid} exited (${status.signal ?? status.code})`);
        stop(1);
      }
    });
    children.push(child);
  }
  const stop = (exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) {
      try {
        child.kill('SIGTERM');
      } catch {
        // already gone
      }
    }
    Promise.all(children.map((c) => c.status)).then(() => Deno.exit(exitCode));
    setTimeout(() => Deno.exit(exitCode), 3000);
  };
  Deno.addSignalListener('SIGTERM', () => stop());
  Deno.addSignalListener('SIGINT', () => stop());
} else {
  const { startServer } = await import('./app.js');
  let tls;
  if (args.tls) {
    const certFile = Deno.env.get('TLS_CERT');
    const keyFile = Deno.env.get('TLS_KEY');
    if (!certFile || !keyFile) {
      console.error('--tls needs TLS_CERT and TLS_KEY: the PEM files of the certificate and its key');
      Deno.exit(2);
    }
    tls = { cert: Deno.readTextFileSync(certFile), key: Deno.readTextFileSync(keyFile) };
  }
  await startServer({ port, host: '127.0.0.1', reusePort: args.child, tls });
}
