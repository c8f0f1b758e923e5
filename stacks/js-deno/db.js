// Database access, chosen by RINGSIDE_DB: node:sqlite, built into Deno (one
// connection per process, called in line) or postgres.js from npm for
// PostgreSQL (a pool of POOL_PER_PROCESS connections). A batch of rows
// (/queries, /updates) is read one query after another on one reserved
// connection: the rule spec/fairness.md sets for every stack.
import { DatabaseSync } from 'node:sqlite';
import postgres from 'postgres';

const MAX_ID = 10000;
// spec/fairness.md: 8 PostgreSQL connections a worker process (one per core).
const POOL_PER_PROCESS = 8;

export const randomId = () => 1 + Math.floor(Math.random() * MAX_ID);

export async function openDatabase() {
  const kind = Deno.env.get('RINGSIDE_DB') ?? 'sqlite';
  if (kind === 'sqlite') return openSqlite(Deno.env.get('RINGSIDE_SQLITE_PATH'));
  if (kind === 'postgres') return openPostgres();
  throw new Error(`RINGSIDE_DB must be sqlite or postgres, not ${kind}`);
}

function openSqlite(path) {
  if (!path) throw new Error('RINGSIDE_SQLITE_PATH is not set');
  // timeout = busy timeout in ms: several workers write during /updates.
  const db = new DatabaseSync(path, { timeout: 5000 });
  const selectWorld = db.prepare('SELECT id, randomnumber FROM world WHERE id = ?');
  const selectFortunes = db.prepare('SELECT id, message FROM fortune');
  const updateWorld = db.prepare('UPDATE world SET randomnumber = ? WHERE id = ?');
  const findWorld = (id) => {
    const row = selectWorld.get(id);
    return { id: row.id, randomNumber: row.randomnumber };
  };
  return {
    async findWorld(id) {
      return findWorld(id);
    },
    async findWorlds(ids) {
      return ids.map(findWorld);
    },
    async allFortunes() {
      return selectFortunes.all().map(({ id, message }) => ({ id, message }));
    },
    async saveWorlds(worlds) {
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const world of worlds) updateWorld.run(world.randomNumber, world.id);
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    },
  };
}

async function openPostgres() {
  const env = (k) => Deno.env.get(k);
  const sql = postgres({
    host: env('RINGSIDE_PG_HOST') ?? '127.0.0.1',
    port: Number(env('RINGSIDE_PG_PORT') ?? 5432),
    user: env('RINGSIDE_PG_USER'),
    password: env('RINGSIDE_PG_PASSWORD'),
    database: env('RINGSIDE_PG_DATABASE'),
    max: POOL_PER_PROCESS,
  });
  await sql`SELECT 1`;
  const selectWorld = async (q, id) => {
    const [row] = await q`SELECT id, randomnumber FROM world WHERE id = ${id}`;
    return { id: row.id, randomNumber: row.randomnumber };
  };
  return {
    async findWorld(id) {
      return selectWorld(sql, id);
    },
    async findWorlds(ids) {
      // One reserved connection for the whole batch, one query after another.
      const reserved = await sql.reserve();
      try {
        const worlds = [];
        for (const id of ids) worlds.push(await selectWorld(reserved, id));
        return worlds;
      } finally {
        reserved.release();
      }
    },
    async allFortunes() {
      return [...(await sql`SELECT id, message FROM fortune`)];
    },
    async saveWorlds(worlds) {
      // One transaction, one UPDATE a row; ids in order (and the last value
      // of a repeated id kept) so concurrent requests lock rows alike.
      const latest = new Map();
      for (const world of worlds) latest.set(world.id, world.randomNumber);
      const ids = [...latest.keys()].sort((a, b) => a - b);
      await sql.begin(async (tx) => {
        for (const id of ids) await tx`UPDATE world SET randomnumber = ${latest.get(id)} WHERE id = ${id}`;
      });
    },
  };
}
