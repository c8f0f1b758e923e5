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

// /updates draws distinct ids (spec/fairness.md R7): every row it returns is
// the row's value in the database when the response is sent.
export const distinctIds = (count) => {
  const ids = new Set();
  while (ids.size < count) ids.add(randomId());
  return [...ids];
};

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
        for (const world of [...worlds].sort((a, b) => a.id - b.id)) {
          updateWorld.run(world.randomNumber, world.id);
        }
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
  // RINGSIDE_PG_URL (with the role's password) when set, else the parts.
  const options = { max: POOL_PER_PROCESS };
  const url = env('RINGSIDE_PG_URL');
  const sql = url
    ? postgres(url, options)
    : postgres({
        host: env('RINGSIDE_PG_HOST') ?? '127.0.0.1',
        port: Number(env('RINGSIDE_PG_PORT') ?? 5432),
        user: env('RINGSIDE_PG_USER'),
        password: env('RINGSIDE_PG_PASSWORD'),
        database: env('RINGSIDE_PG_DATABASE'),
        ...options,
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
      // One statement for all rows (spec/fairness.md R7): one round trip, one
      // implicit transaction; rows in id order so concurrent requests lock
      // them in the same order. The arrays go as PostgreSQL array literals.
      const sorted = [...worlds].sort((a, b) => a.id - b.id);
      const ids = `{${sorted.map((w) => w.id).join(',')}}`;
      const numbers = `{${sorted.map((w) => w.randomNumber).join(',')}}`;
      await sql`UPDATE world SET randomnumber = v.randomnumber
        FROM unnest(${ids}::int[], ${numbers}::int[]) AS v(id, randomnumber)
        WHERE world.id = v.id`;
    },
  };
}
