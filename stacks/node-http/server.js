// Entry point: parse --port/--workers, then run one server process or a
// node:cluster primary that forks the workers (each one opens its own
// database connection and listens on the shared port). --cluster (the
// node-http@cluster variant) always runs the primary, with one worker per
// core this process may run on (os.availableParallelism() honours the
// affinity mask ringside pins it to). --reuse-port (node-http@reuseport,
// Node.js 22.12+) forks N independent processes that each listen with
// server.listen({ reusePort: true }): the kernel spreads the connections (no
// primary hand-off), the model Bun, Deno and uvicorn use; rooms are per process.
// --h2 (node-http@h2) serves the same routes on node:http2 without TLS (h2c),
// in one process or under the same node:cluster primary; --h2 --tls
// (node-http@h2-tls) on http2.createSecureServer with the certificate in
// TLS_CERT/TLS_KEY, HTTP/2 only (ALPN h2).
import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { relayChatBetweenWorkers } from './chat.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.RINGSIDE_PORT ?? '8080' },
    workers: { type: 'string', default: process.env.RINGSIDE_WORKERS ?? '1' },
    cluster: { type: 'boolean', default: false },
    'reuse-port': { type: 'boolean', default: false },
    child: { type: 'boolean', default: false },
    h2: { type: 'boolean', default: false },
    tls: { type: 'boolean', default: false },
  },
});
const reusePort = args['reuse-port'];
const port = Number.parseInt(args.port, 10);
const workers = args.cluster
  ? availableParallelism()
  : Math.max(1, Number.parseInt(args.workers, 10) || 1);

const [major, minor] = process.versions.node.split('.').map(Number);
if (reusePort && (major < 22 || (major === 22 && minor < 12))) {
  console.error(`--reuse-port needs Node.js 22.12 or later (server.listen reusePort); this is ${process.version}`);
  process.exit(2);
}

if (reusePort && workers > 1 && !args.child) {
  let stopping = false;
  const children = [];
  for (let i = 0; i < workers; i++) {
    const child = fork(process.argv[1], ['--port', String(port), '--reuse-port', '--child'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        console.error(`worker ${child.pid} exited (${signal ?? code})`);
        stop(1);
      } else if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) {
        process.exit();
      }
    });
    children.push(child);
  }
  function stop(exitCode = 0) {
    if (stopping) return;
    stopping = true;
    process.exitCode = exitCode;
    for (const child of children) child.kill('SIGTERM');
    setTimeout(() => {
      for (const child of children) child.kill('SIGKILL');
      process.exit();
    }, 3000).unref();
  }
  process.on('SIGTERM', () => stop());
  process.on('SIGINT', () => stop());
} else if (!reusePort && (workers > 1 || args.cluster) && cluster.isPrimary) {
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  relayChatBetweenWorkers();
  const listening = new Set();
  cluster.on('listening', (worker) => listening.add(worker.id));
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers).length === 0) process.exit();
      return;
    }
    if (!listening.has(worker.id)) {
      // Failed during startup (bad configuration, database unreachable):
      // restarting would only loop, so stop everything.
      console.error(`worker ${worker.process.pid} failed to start (${signal ?? code})`);
      stop(1);
      return;
    }
    console.error(`worker ${worker.process.pid} died (${signal ?? code}), restarting`);
    cluster.fork();
  });
  function stop(exitCode = 0) {
    if (stopping) return;
    stopping = true;
    process.exitCode = exitCode;
    const alive = Object.values(cluster.workers);
    if (alive.length === 0) process.exit();
    for (const worker of alive) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGKILL');
      process.exit();
    }, 3000).unref();
  }
  process.on('SIGTERM', () => stop());
  process.on('SIGINT', () => stop());
} else {
  const { startServer } = await import('./app.js');
  await startServer({ port, host: '127.0.0.1', workers: reusePort ? 1 : workers, reusePort, h2: args.h2, tls: args.tls });
}
