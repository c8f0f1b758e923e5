// The Express application: one route per endpoint of the ringside contract,
// EJS for the fortunes page, and ws attached to the same HTTP server for the
// WebSocket chat.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { WebSocketServer } from 'ws';
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

export function createApp(db) {
  const app = express();
  app.disable('x-powered-by');
  // spec/fairness.md: a Server header on every response (node:http adds Date).
  app.use((req, res, next) => {
    res.setHeader('Server', 'express');
    next();
  });
  app.set('views', fileURLToPath(new URL('./views', import.meta.url)));
  app.set('view engine', 'ejs');

  const findWorlds = (count) => {
    const ids = [];
    for (let i = 0; i < count; i++) ids.push(randomId());
    return db.findWorlds(ids);
  };

  app.get('/health', (req, res) => {
    res.type('text').send('ok');
  });

  app.get('/plaintext', (req, res) => {
    res.type('text').send('Hello, World!');
  });

  app.get('/json', (req, res) => {
    res.json({ message: 'Hello, World!' });
  });

  app.get('/db', async (req, res) => {
    res.json(await db.findWorld(randomId()));
  });

  app.get('/queries', async (req, res) => {
    res.json(await findWorlds(intParam(req.query.q, 1, 1, 500)));
  });

  app.get('/fortunes', async (req, res) => {
    const fortunes = await db.allFortunes();
    fortunes.push({ id: 0, message: 'Additional fortune added at request time.' });
    // Plain < compares UTF-16 code units: code-point order for these (BMP) messages.
    fortunes.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
    res.render('fortunes', { fortunes });
  });

  app.get('/updates', async (req, res) => {
    const worlds = await db.findWorlds(distinctIds(intParam(req.query.q, 1, 1, 500)));
    for (const world of worlds) world.randomNumber = randomId();
    await db.saveWorlds(worlds);
    res.json(worlds);
  });

  app.get('/io', async (req, res) => {
    const ms = intParam(req.query.ms, 50, 0, 10000);
    await sleep(ms);
    res.json({ waited_ms: ms });
  });

  app.get('/cpu', (req, res) => {
    const n = intParam(req.query.n, 10000, 1, 1000000);
    res.json({ n, primes: countPrimes(n) });
  });

  app.get('/numeric', (req, res) => {
    res.json(numericStats(intParam(req.query.n, 100000, 1, 1000000)));
  });

  return app;
}

export async function startServer({ port, host, workers }) {
  const db = await openDatabase();
  const server = http.createServer(createApp(db));

  const chat = new ChatRooms();
  const wss = new WebSocketServer({ server, path: '/ws/chat' });
  wss.on('connection', (socket, req) => {
    const room = new URL(req.url, 'http://localhost').searchParams.get('room');
    chat.join(roomFromQuery(room), socket);
  });

  await new Promise((resolve) => server.listen(port, host, resolve));
  return server;
}
