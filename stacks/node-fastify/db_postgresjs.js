// PostgreSQL through postgres.js (the `@postgresjs` deployment, chosen by
// RINGSIDE_PG_DRIVER=postgres.js): the driver TechEmpower's Fastify entry and
// the js-deno stack use, beside node-postgres (`pg`) in db.js. postgres.js
// prepares every query once a connection (named statements by default) and
// parses rows in JavaScript; the same rules as db.js: a pool of
// POOL_PER_PROCESS connections, a batch read one query after another on one
// reserved connection (spec/fairness.md R4, R5), /updates in one statement (R7).
import postgres from 'postgres';

export async function openPostgresJs(poolPerProcess) {
  const env = process.env;
  // RINGSIDE_PG_URL (with the role's password) when set, else the parts.
  const options = { max: poolPerProcess };
  const sql = env.RINGSIDE_PG_URL
    ? postgres(env.RINGSIDE_PG_URL, options)
    : postgres({
        host: env.RINGSIDE_PG_HOST ?? '127.0.0.1',
        port: Number(env.RINGSIDE_PG_PORT ?? 5432),
        user: env.RINGSIDE_PG_USER,
        password: env.RINGSIDE_PG_PASSWORD,
        database: env.RINGSIDE_PG_DATABASE,
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
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
