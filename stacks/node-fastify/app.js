// The Fastify application: one route per endpoint of the ringside contract,
// response schemas for JSON serialisation, @fastify/view with Handlebars for
// the fortunes page and @fastify/websocket for the chat.
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import fastifyView from '@fastify/view';
import fastifyWebsocket from '@fastify/websocket';
import handlebars from 'handlebars';
import { distinctIds, openDatabase, randomId } from './db.js';
import { ChatRooms, roomFromQuery } from './chat.js';

// Missing or non-integer -> default; out of range -> clamped.
function intParam(value, fallback, min, max) {
  if (typeof value !== 'string' || !/^[+-]?\d+$/.test(value)) return fallback;
  const n = Number(value);
  return n < min ? min : n > max ? max : n;
}

function countPrimes(n) {
  let count = 0;
  for (let k = 2; k <= n; k++) {
    let prime = true;
    for (let d = 2; d * d <= k; d++) {
      if (k % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

function numericStats(n) {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 10007) / 10007;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    squares += d * d;
  }
  let dot = 0;
  for (let i = 0; i < n; i++) dot += x[i] * x[n - 1 - i];
  return { n, sum, mean, std: Math.sqrt(squares / n), dot };
}

const world = {
  type: 'object',
  properties: { id: { type: 'integer' }, randomNumber: { type: 'integer' } },
};
const worlds = { type: 'array', items: world };
const reply200 = (schema) => ({ schema: { response: { 200: schema } } });

// h2: Fastify's documented `http2: true` (fastify.dev/docs/latest/Reference/HTTP2/):
// without `https` it serves h2c (HTTP/2 with prior knowledge) on
// node:http2, which adds Date itself; the same routes, no WebSockets (the
// harness's are HTTP/1.1 upgrades).
export async function buildApp(db, { h2 = false } = {}) {
  const app = Fastify({ logger: false, http2: h2 });
  // spec/fairness.md: a Server header on every response (node:http adds Date).
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('Server', 'fastify');
    done();
  });
  await app.register(fastifyView, {
    engine: { handlebars },
    root: fileURLToPath(new URL('./views', import.meta.url)),
  });
  if (!h2) await app.register(fastifyWebsocket);

  const findWorlds = (count) => {
    const ids = [];
    for (let i = 0; i < count; i++) ids.push(randomId());
    return db.findWorlds(ids);
  };

  app.get('/health', async () => 'ok');

  app.get('/plaintext', async () => 'Hello, World!');

  app.get(
    '/json',
    reply200({ type: 'object', properties: { message: { type: 'string' } } }),
    async () => ({ message: 'Hello, World!' }),
  );

  app.get('/db', reply200(world), async () => db.findWorld(randomId()));

  app.get('/queries', reply200(worlds), async (req) => findWorlds(intParam(req.query.q, 1, 1, 500)));

  app.get('/fortunes', async (req, reply) => {
    const fortunes = await db.allFortunes();
    fortunes.push({ id: 0, message: 'Additional fortune added at request time.' });
    // Plain < compares UTF-16 code units: code-point order for these (BMP) messages.
    fortunes.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
    return reply.view('fortunes.hbs', { fortunes });
  });

  app.get('/updates', reply200(worlds), async (req) => {
    const rows = await db.findWorlds(distinctIds(intParam(req.query.q, 1, 1, 500)));
    for (const row of rows) row.randomNumber = randomId();
    await db.saveWorlds(rows);
    return rows;
  });

  app.get(
    '/io',
    reply200({ type: 'object', properties: { waited_ms: { type: 'integer' } } }),
    async (req) => {
      const ms = intParam(req.query.ms, 50, 0, 10000);
      await sleep(ms);
      return { waited_ms: ms };
    },
  );

  app.get(
    '/cpu',
    reply200({ type: 'object', properties: { n: { type: 'integer' }, primes: { type: 'integer' } } }),
    async (req) => {
      const n = intParam(req.query.n, 10000, 1, 1000000);
      return { n, primes: countPrimes(n) };
    },
  );

  app.get(
    '/numeric',
    reply200({
      type: 'object',
      properties: {
        n: { type: 'integer' },
        sum: { type: 'number' },
        mean: { type: 'number' },
        std: { type: 'number' },
        dot: { type: 'number' },
      },
    }),
    async (req) => numericStats(intParam(req.query.n, 100000, 1, 1000000)),
  );

  if (!h2) {
    const chat = new ChatRooms();
    app.get('/ws/chat', { websocket: true }, (socket, req) => {
      chat.join(roomFromQuery(req.query.room), socket);
    });
  }

  return app;
}

export async function startServer({ port, host, workers, h2 = false }) {
  const db = await openDatabase();
  const app = await buildApp(db, { h2 });
  await app.listen({ port, host });
  return app;
}
