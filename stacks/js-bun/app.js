// The HTTP application on Bun.serve: a small router over the URL path, one
// handler per endpoint of the ringside contract, and the WebSocket chat on
// Bun's built-in pub/sub (a room is a topic).
import { setTimeout as sleep } from 'node:timers/promises';
import { distinctIds, openDatabase, randomId } from './db.js';

const TEXT = 'text/plain; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
// spec/fairness.md: a Server header on every response (Bun adds Date).
const SERVER = 'bun';
// spec/ws-chat.md's back-pressure rule: a member with more than 4 MiB queued
// is disconnected; the room never waits for it.
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

const text = (body, status = 200) =>
  new Response(body, { status, headers: { 'Content-Type': TEXT, Server: SERVER } });
const json = (value) => Response.json(value, { headers: { Server: SERVER } });

// Missing or non-integer -> default; out of range -> clamped.
function intParam(value, fallback, min, max) {
  if (value === null || !/^[+-]?\d+$/.test(value)) return fallback;
  const n = Number(value);
  return n < min ? min : n > max ? max : n;
}

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

function renderFortunes(fortunes) {
  let rows = '';
  for (const { id, message } of fortunes) {
    rows += `<tr><td>${id}</td><td>${escapeHtml(message)}</td></tr>`;
  }
  return `<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>${rows}</table></body></html>`;
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

function makeRoutes(db) {
  const findWorlds = (count) => {
    const ids = [];
    for (let i = 0; i < count; i++) ids.push(randomId());
    return db.findWorlds(ids);
  };
  return {
    '/health': () => text('ok'),
    '/plaintext': () => text('Hello, World!'),
    '/json': () => json({ message: 'Hello, World!' }),
    '/db': async () => json(await db.findWorld(randomId())),
    '/queries': async (q) => json(await findWorlds(intParam(q.get('q'), 1, 1, 500))),
    '/fortunes': async () => {
      const fortunes = await db.allFortunes();
      fortunes.push({ id: 0, message: 'Additional fortune added at request time.' });
      // Plain < compares UTF-16 code units: code-point order for these (BMP) messages.
      fortunes.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
      return new Response(renderFortunes(fortunes), { headers: { 'Content-Type': HTML, Server: SERVER } });
    },
    '/updates': async (q) => {
      const worlds = await db.findWorlds(distinctIds(intParam(q.get('q'), 1, 1, 500)));
      for (const world of worlds) world.randomNumber = randomId();
      await db.saveWorlds(worlds);
      return json(worlds);
    },
    '/io': async (q) => {
      const ms = intParam(q.get('ms'), 50, 0, 10000);
      await sleep(ms);
      return json({ waited_ms: ms });
    },
    '/cpu': (q) => {
      const n = intParam(q.get('n'), 10000, 1, 1000000);
      return json({ n, primes: countPrimes(n) });
    },
    '/numeric': (q) => json(numericStats(intParam(q.get('n'), 100000, 1, 1000000))),
  };
}

export async function startServer({ port, host, reusePort }) {
  const db = await openDatabase();
  const routes = makeRoutes(db);
  const server = Bun.serve({
    port,
    hostname: host,
    reusePort,
    async fetch(req, server) {
      const url = new URL(req.url);
      if (url.pathname === '/ws/chat') {
        const room = url.searchParams.get('room') || 'lobby';
        if (room.length > 64) return text('room: at most 64 characters', 400);
        if (server.upgrade(req, { data: { room }, headers: { Server: SERVER } })) return undefined;
        return text('expected a WebSocket upgrade', 400);
      }
      const route = req.method === 'GET' || req.method === 'HEAD' ? routes[url.pathname] : undefined;
      if (!route) return text('Not Found', 404);
      try {
        return await route(url.searchParams);
      } catch (err) {
        console.error(`${url.pathname}:`, err);
        return text('Internal Server Error', 500);
      }
    },
    websocket: {
      backpressureLimit: MAX_PENDING_BYTES,
      closeOnBackpressureLimit: true,
      idleTimeout: 0,
      open(ws) {
        ws.subscribe(ws.data.room);
      },
      message(ws, message) {
        // Binary frames are ignored; server.publish reaches the sender too.
        if (typeof message === 'string') server.publish(ws.data.room, message);
      },
      close(ws) {
        ws.unsubscribe(ws.data.room);
      },
    },
  });
  return server;
}
