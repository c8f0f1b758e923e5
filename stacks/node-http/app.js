// The HTTP application on plain node:http: a small router over the URL path,
// one handler per endpoint of the ringside contract, and the WebSocket chat
// on the same server.
import http from 'node:http';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import { distinctIds, openDatabase, randomId } from './db.js';
import { ChatRooms, roomFromQuery } from './chat.js';

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
const HTML = 'text/html; charset=utf-8';

// spec/fairness.md: a Server header on every response (TechEmpower's rule);
// node:http adds Date itself.
function send(res, status, contentType, body) {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    Server: 'node',
  });
  res.end(body);
}

const sendJson = (res, value) => send(res, 200, JSON_TYPE, JSON.stringify(value));

// Missing or non-integer -> default; out of range -> clamped.
function intParam(value, fallback, min, max) {
  if (value === null || !/^[+-]?\d+$/.test(value)) return fallback;
  const n = Number(value);
  return n < min ? min : n > max ? max : n;
}

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

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
    '/health': (req, res) => send(res, 200, TEXT, 'ok'),
    '/plaintext': (req, res) => send(res, 200, TEXT, 'Hello, World!'),
    '/json': (req, res) => sendJson(res, { message: 'Hello, World!' }),
    '/db': async (req, res) => sendJson(res, await db.findWorld(randomId())),
    '/queries': async (req, res, query) => {
      sendJson(res, await findWorlds(intParam(query.get('q'), 1, 1, 500)));
    },
    '/fortunes': async (req, res) => {
      const fortunes = await db.allFortunes();
      fortunes.push({ id: 0, message: 'Additional fortune added at request time.' });
      // Plain < compares UTF-16 code units: code-point order for these (BMP) messages.
      fortunes.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
      send(res, 200, HTML, renderFortunes(fortunes));
    },
    '/updates': async (req, res, query) => {
      const worlds = await db.findWorlds(distinctIds(intParam(query.get('q'), 1, 1, 500)));
      for (const world of worlds) world.randomNumber = randomId();
      await db.saveWorlds(worlds);
      sendJson(res, worlds);
    },
    '/io': async (req, res, query) => {
      const ms = intParam(query.get('ms'), 50, 0, 10000);
      await sleep(ms);
      sendJson(res, { waited_ms: ms });
    },
    '/cpu': (req, res, query) => {
      const n = intParam(query.get('n'), 10000, 1, 1000000);
      sendJson(res, { n, primes: countPrimes(n) });
    },
    '/numeric': (req, res, query) => {
      sendJson(res, numericStats(intParam(query.get('n'), 100000, 1, 1000000)));
    },
  };
}

// h2: node:http2's server without TLS (h2c, prior knowledge), with the
// compatibility API's (req, res), so every route is the same code; it
// speaks HTTP/2 only and carries no WebSockets. node:http2 adds Date itself.
// h2 with tls: http2.createSecureServer on the certificate and key whose
// paths are in TLS_CERT and TLS_KEY (HTTP/2 by ALPN, no HTTP/1.1 fallback).
export async function startServer({ port, host, workers, reusePort = false, h2 = false, tls = false }) {
  const db = await openDatabase();
  const routes = makeRoutes(db);

  const create = h2 && tls
    ? (handler) => http2.createSecureServer(
      { cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) },
      handler,
    )
    : h2 ? http2.createServer : http.createServer;
  const server = create(async (req, res) => {
    const mark = req.url.indexOf('?');
    const path = mark === -1 ? req.url : req.url.slice(0, mark);
    const route = req.method === 'GET' || req.method === 'HEAD' ? routes[path] : undefined;
    if (!route) return send(res, 404, TEXT, 'Not Found');
    try {
      await route(req, res, new URLSearchParams(mark === -1 ? '' : req.url.slice(mark + 1)));
    } catch (err) {
      console.error(`${path}:`, err);
      if (!res.headersSent) send(res, 500, TEXT, 'Internal Server Error');
      else if (h2) res.stream.destroy();
      else res.destroy();
    }
  });

  if (h2) {
    await new Promise((resolve) => server.listen({ port, host }, resolve));
    return server;
  }
  const chat = new ChatRooms();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname !== '/ws/chat') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => chat.join(roomFromQuery(url.searchParams.get('room')), ws));
  });

  // reusePort (Node.js 22.12+): several processes listen on the port, the kernel spreads connections.
  await new Promise((resolve) => server.listen({ port, host, reusePort }, resolve));
  return server;
}
