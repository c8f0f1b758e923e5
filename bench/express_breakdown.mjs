// What Express's gap to node:http on /json is made of. One server process,
// chosen by argv[2]:
//   http          node:http, JSON.stringify, Server header (node-http's shape)
//   express       Express 5 with its defaults: router, res.json, ETag on
//   express-noetag  the same with app.set('etag', false)
//   express-end   Express's router, the body written with res.end (no res.json, no ETag)
// Usage: node bench/express_breakdown.mjs MODE PORT  (run from the repo root;
// Express comes from stacks/node-express/node_modules). bench/express_breakdown.sh
// measures each mode with `ringside load`.
import http from 'node:http';
import { createRequire } from 'node:module';

const [mode, portArg] = process.argv.slice(2);
const port = Number(portArg ?? 8080);
const require = createRequire(new URL('../stacks/node-express/package.json', import.meta.url));
const body = () => ({ message: 'Hello, World!' });

let server;
if (mode === 'http') {
  server = http.createServer((req, res) => {
    const text = JSON.stringify(body());
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), Server: 'node' });
    res.end(text);
  });
} else if (mode?.startsWith('express')) {
  const express = require('express');
  const app = express();
  app.disable('x-powered-by');
  if (mode === 'express-noetag') app.set('etag', false);
  app.use((req, res, next) => {
    res.setHeader('Server', 'express');
    next();
  });
  if (mode === 'express-end') {
    app.get('/json', (req, res) => {
      const text = JSON.stringify(body());
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  } else {
    app.get('/json', (req, res) => res.json(body()));
  }
  server = http.createServer(app);
} else {
  console.error('mode: http | express | express-noetag | express-end');
  process.exit(2);
}
server.listen(port, '127.0.0.1', () => console.error(`${mode} on ${port}`));
process.on('SIGTERM', () => process.exit(0));
