// The HTTP application on Deno.serve: a small router over the URL path, one
// handler per endpoint of the ringside contract, and the WebSocket chat
// (Deno.upgradeWebSocket) with a map room -> set of sockets.
import { setTimeout as sleep } from 'node:timers/promises';
import { distinctIds, openDatabase, randomId } from './db.js';

const TEXT = 'text/plain; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
// spec/fairness.md: a Server header on every response (Deno adds Date).
const SERVER = 'deno';
// spec/ws-chat.md's back-pressure rule: a member with more than 4 MiB queued
// (WebSocket.bufferedAmount) is disconnected; the room never waits for it.
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

class ChatRooms {
  rooms = new Map();

  join(room, socket) {
    let members = this.rooms.get(room);
    if (!members) {
      members = new Set();
      this.rooms.set(room, members);
    }
    members.add(socket);
    socket.onmessage = (event) => {
      // Binary frames are ignored.
      if (typeof event.data === 'string') this.deliver(room, event.data);
    };
    socket.onclose = () => {
      members.delete(socket);
      if (members.size === 0 && this.rooms.get(room) === members) this.rooms.delete(room);
    };
    socket.onerror = () => socket.close();
  }

  deliver(room, data) {
    const members = this.rooms.get(room);
    if (!members) return;
    for (const member of members) {
      if (member.readyState !== WebSocket.OPEN) continue;
      if (member.bufferedAmount > MAX_PENDING_BYTES) {
        members.delete(member);
        member.close(1008, 'too slow');
        continue;
      }
      member.send(data);
    }
  }
}

// tls: { cert, key } (PEM): Deno.serve over TLS, HTTP/2 by ALPN
// (docs.deno.com/api/deno/~/Deno.serve, "cert"/"key"; HTTP/2 is negotiated
// over TLS only).
export async function startServer({ port, host, reusePort, tls }) {
  const db = await openDatabase();
  const routes = makeRoutes(db);
  const chat = new ChatRooms();
  const { promise: listening, resolve } = Promise.withResolvers();
  Deno.serve({ port, hostname: host, reusePort, onListen: resolve, ...tls }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === '/ws/chat') {
      const room = url.searchParams.get('room') || 'lobby';
      if (room.length > 64) return text('room: at most 64 characters', 400);
      if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
        return text('expected a WebSocket upgrade', 400);
      }
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onopen = () => chat.join(room, socket);
      return response;
    }
    const route = req.method === 'GET' || req.method === 'HEAD' ? routes[url.pathname] : undefined;
    if (!route) return text('Not Found', 404);
    try {
      return await route(url.searchParams);
    } catch (err) {
      console.error(`${url.pathname}:`, err);
      return text('Internal Server Error', 500);
    }
  });
  await listening;
}
