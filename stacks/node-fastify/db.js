// Database access: SQLite through better-sqlite3 (one connection per process,
// called in line: no thread hop) or PostgreSQL through a pg Pool of
// POOL_PER_PROCESS connections, chosen by RINGSIDE_DB; with
// RINGSIDE_PG_DRIVER=postgres.js (the @postgresjs deployment), PostgreSQL
// through postgres.js instead (db_postgresjs.js). A batch of rows
// (/queries, /updates) is read one query after another on one connection,
// the rule spec/fairness.md sets for every stack.
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
  const kind = process.env.RINGSIDE_DB ?? 'sqlite';
  if (kind === 'sqlite') return openSqlite(process.env.RINGSIDE_SQLITE_PATH);
  if (kind === 'postgres') {
    const driver = process.env.RINGSIDE_PG_DRIVER ?? 'pg';
    if (driver === 'pg') return openPostgres();
    if (driver === 'postgres.js') {
      const { openPostgresJs } = await import('./db_postgresjs.js');
      return openPostgresJs(POOL_PER_PROCESS);
    }
    throw new Error(`RINGSIDE_PG_DRIVER must be pg or postgres.js, not ${driver}`);
  }
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
      return selectFortunes.all();
    },
    async saveWorlds(worlds) {
      updateMany.immediate([...worlds].sort((a, b) => a.id - b.id));
    },
    async close() {
      db.close();
    },
  };
}

async function openPostgres() {
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
  const pool = new pg.Pool({ ...connection, max: POOL_PER_PROCESS });
  pool.on('error', (err) => console.error('idle PostgreSQL client error:', err.message));
  await pool.query('SELECT 1');

  const selectWorld = async (client, id) => {
    const { rows } = await client.query({
      name: 'select-world',
      text: 'SELECT id, randomnumber FROM world WHERE id = $1',
      values: [id],
    });
    return { id: rows[0].id, randomNumber: rows[0].randomnumber };
  };

  return {
    async findWorld(id) {
      return selectWorld(pool, id);
    },
    async findWorlds(ids) {
      // One pooled connection for the whole batch, one query after another.
      const client = await pool.connect();
      try {
        const worlds = [];
        for (const id of ids) worlds.push(await selectWorld(client, id));
        return worlds;
      } finally {
        client.release();
      }
    },
    async allFortunes() {
      const { rows } = await pool.query({ name: 'select-fortunes', text: 'SELECT id, message FROM fortune' });
      return rows;
    },
    async saveWorlds(worlds) {
      // One statement for all rows (spec/fairness.md R7): one round trip, one
      // implicit transaction; rows in id order so concurrent requests lock
      // them in the same order.
      const sorted = [...worlds].sort((a, b) => a.id - b.id);
      await pool.query({
        name: 'update-worlds',
        text:
          'UPDATE world SET randomnumber = v.randomnumber ' +
          'FROM unnest($1::int[], $2::int[]) AS v(id, randomnumber) WHERE world.id = v.id',
        values: [sorted.map((w) => w.id), sorted.map((w) => w.randomNumber)],
      });
    },
    async close() {
      await pool.end();
    },
  };
}
