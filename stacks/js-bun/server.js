// Entry point: parse --port/--workers, then serve in this process, or (more
// than one worker) spawn that many server processes sharing the port with
// SO_REUSEPORT, Bun's documented way to use several cores. Chat rooms are per
// process, as in the Python stacks.
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.RINGSIDE_PORT ?? '8080' },
    workers: { type: 'string', default: process.env.RINGSIDE_WORKERS ?? '1' },
    child: { type: 'boolean', default: false },
  },
});
const port = Number.parseInt(args.port, 10);
const workers = Math.max(1, Number.parseInt(args.workers, 10) || 1);

if (workers > 1 && !args.child) {
  const children = [];
  for (let i = 0; i < workers; i++) {
    children.push(
      Bun.spawn([process.execPath, import.meta.path, '--port', String(port), '--child'], {
        stdio: ['ignore', 'inherit', 'inherit'],
        onExit(proc, code, signal) {
          if (!stopping) {
            console.error(`worker ${proc.pid} exited (${signal ?? code})`);
            stop(1);
          }
        },
      }),
    );
  }
  let stopping = false;
  function stop(exitCode = 0) {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    Promise.all(children.map((c) => c.exited)).then(() => process.exit(exitCode));
    setTimeout(() => process.exit(exitCode), 3000).unref();
  }
  process.on('SIGTERM', () => stop());
  process.on('SIGINT', () => stop());
} else {
  const { startServer } = await import('./app.js');
  await startServer({ port, host: '127.0.0.1', reusePort: args.child });
}
