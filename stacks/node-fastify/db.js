// Database access: SQLite through better-sqlite3 (one connection per process)
// or PostgreSQL through a pg Pool, chosen by RINGSIDE_DB.
const MAX_ID = 10000;

export const randomId = () => 1 + Math.floor(Math.random() * MAX_ID);

export async function openDatabase({ workers = 1 } = {}) {
  const kind = process.env.RINGSIDE_DB ?? 'sqlite';
  if (kind === 'sqlite') return openSqlite(process.env.RINGSIDE_SQLITE_PATH);
  if (kind === 'postgres') return openPostgres(workers);
  throw new Error(`RINGSIDE_DB must be sqlite or postgres, not ${kind}`);
}

async function openSqlite(path) {
  if (!path) throw new Error('RINGSIDE_SQLITE_PATH is not set');
  const { default: Database } = await import('better-sqlite3');
  // timeout = busy timeout in ms: several workers write during /updates.
  const db = new Database(path, { fileMustExist: true, timeout: 5000 });
  const selectWorld = db.prepare('SELECT id, randomnumber FROM world WHERE id = ?');
  const selectFortunes = db.prepare('SELECT id, message FROM fortune');
  const updateWorld = db.prepare('UPDATE world SET randomnumber = ? WHERE id = ?');
  const updateMany = db.transaction((worlds) => {
    for (const world of worlds) updateWorld.run(world.randomNumber, world.id);
  });

  return {
    async findWorld(id) {
      const row = selectWorld.get(id);
      return { id: row.id, randomNumber: row.randomnumber };
    },
    async allFortunes() {
      return selectFortunes.all();
    },
    async saveWorlds(worlds) {
      updateMany.immediate(worlds);
    },
    async close() {
      db.close();
    },
  };
}

async function openPostgres(workers) {
  const { default: pg } = await import('pg');
  const env = process.env;
  const connection = env.RINGSIDE_PG_URL
    ? { connectionString: env.RINGSIDE_PG_URL }
    : {
        host: env.RINGSIDE_PG_HOST ?? '127.0.0.1',
        port: Number(env.RINGSIDE_PG_PORT ?? 5432),
        user: env.RINGSIDE_PG_USER,
        password: env.RINGSIDE_PG_PASSWORD,
        database: env.RINGSIDE_PG_DATABASE,
      };
  // pg's default is 10 connections per pool; keep all workers together well
  // under PostgreSQL's default max_connections (100).
  const max = Math.max(2, Math.min(10, Math.floor(80 / workers)));
  const pool = new pg.Pool({ ...connection, max });
  pool.on('error', (err) => console.error('idle PostgreSQL client error:', err.message));
  await pool.query('SELECT 1');

  return {
    async findWorld(id) {
      const { rows } = await pool.query({
        name: 'select-world',
        text: 'SELECT id, randomnumber FROM world WHERE id = $1',
        values: [id],
      });
      return { id: rows[0].id, randomNumber: rows[0].randomnumber };
    },
    async allFortunes() {
      const { rows } = await pool.query({ name: 'select-fortunes', text: 'SELECT id, message FROM fortune' });
      return rows;
    },
    async saveWorlds(worlds) {
      // One statement for all rows; ids sorted (and the last value of a
      // repeated id kept) so concurrent requests lock rows in the same order.
      const latest = new Map();
      for (const world of worlds) latest.set(world.id, world.randomNumber);
      const ids = [...latest.keys()].sort((a, b) => a - b);
      await pool.query({
        name: 'update-worlds',
        text:
          'UPDATE world SET randomnumber = v.randomnumber ' +
          'FROM unnest($1::int[], $2::int[]) AS v(id, randomnumber) WHERE world.id = v.id',
        values: [ids, ids.map((id) => latest.get(id))],
      });
    },
    async close() {
      await pool.end();
    },
  };
}
