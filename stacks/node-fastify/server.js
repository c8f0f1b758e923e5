// Entry point: parse --port/--workers, then run one server process or a
// node:cluster primary that forks the workers (each one opens its own
// database connection and listens on the shared port). --h2
// (node-fastify@h2) builds the same application with Fastify's `http2: true`
// (h2c without `https`), in one process or under the same primary.
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { relayChatBetweenWorkers } from './chat.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.RINGSIDE_PORT ?? '8080' },
    workers: { type: 'string', default: process.env.RINGSIDE_WORKERS ?? '1' },
    h2: { type: 'boolean', default: false },
  },
});
const port = Number.parseInt(args.port, 10);
const workers = Math.max(1, Number.parseInt(args.workers, 10) || 1);

if (workers > 1 && cluster.isPrimary) {
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
  await startServer({ port, host: '127.0.0.1', workers, h2: args.h2 });
}
