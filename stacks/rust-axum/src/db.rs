//! Database access for `/db`, `/queries`, `/fortunes`, `/updates`, `/health`:
//! SQLite through rusqlite (one connection per runtime worker thread, called
//! in line: SQLite reads take microseconds, and no stack hops to a thread
//! pool for them, spec/fairness.md) or PostgreSQL through tokio-postgres with
//! a deadpool pool of 8 connections per worker thread. A batch (`/queries`,
//! `/updates`) is read one query after another on one connection, the rule
//! spec/fairness.md sets for every stack. Chosen by `RINGSIDE_DB` (`sqlite`,
//! the default, or `postgres`).

use std::cell::RefCell;
use std::time::Duration;

use rusqlite::{OpenFlags, TransactionBehavior};
use serde::Serialize;

const SELECT_WORLD_SQLITE: &str = "SELECT id, randomnumber FROM world WHERE id = ?1";
const UPDATE_WORLD_SQLITE: &str = "UPDATE world SET randomnumber = ?1 WHERE id = ?2";
const SELECT_WORLD_PG: &str = "SELECT id, randomnumber FROM world WHERE id = $1";
const SELECT_FORTUNES: &str = "SELECT id, message FROM fortune";
/// One statement for all rows of `/updates` (TFB allows it).
const UPDATE_WORLDS_PG: &str = "UPDATE world SET randomnumber = v.n \
     FROM unnest($1::int4[], $2::int4[]) AS v(id, n) WHERE world.id = v.id";

/// One row of `world`, as the contract serialises it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct World {
    pub id: i32,
    #[serde(rename = "randomNumber")]
    pub random_number: i32,
}

/// One row of `fortune`.
#[derive(Debug, Clone)]
pub struct Fortune {
    pub id: i32,
    pub message: String,
}

/// A database error, shown in a 500 response.
#[derive(Debug)]
pub struct DbError(pub String);

impl<E: std::fmt::Display> From<E> for DbError {
    fn from(e: E) -> Self {
        DbError(e.to_string())
    }
}

/// A random world id in `1..=10000`.
pub fn random_id() -> i32 {
    fastrand::i32(1..=10_000)
}

/// PostgreSQL connections per worker thread (one worker per core), spec/fairness.md.
const POOL_PER_WORKER: usize = 8;

pub enum Db {
    Sqlite(Sqlite),
    Postgres(deadpool_postgres::Pool),
}

impl Db {
    /// Opens the database the harness describes in the environment.
    pub fn from_env(workers: usize) -> Result<Db, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match var("RINGSIDE_DB").as_deref().unwrap_or("sqlite") {
            "sqlite" => {
                let path = var("RINGSIDE_SQLITE_PATH").ok_or("RINGSIDE_SQLITE_PATH is not set")?;
                open_sqlite(&path).map_err(|e| format!("opening SQLite database {path}: {e}"))?;
                Ok(Db::Sqlite(Sqlite { path }))
            }
            "postgres" => {
                let mut cfg = tokio_postgres::Config::new();
                cfg.host(var("RINGSIDE_PG_HOST").as_deref().unwrap_or("127.0.0.1"))
                    .port(match var("RINGSIDE_PG_PORT") {
                        Some(p) => p
                            .parse()
                            .map_err(|_| format!("RINGSIDE_PG_PORT: bad port {p:?}"))?,
                        None => 5432,
                    })
                    .user(var("RINGSIDE_PG_USER").as_deref().unwrap_or("postgres"))
                    .dbname(var("RINGSIDE_PG_DATABASE").as_deref().unwrap_or("ringside"));
                if let Some(password) = var("RINGSIDE_PG_PASSWORD") {
                    cfg.password(password);
                }
                let manager = deadpool_postgres::Manager::from_config(
                    cfg,
                    tokio_postgres::NoTls,
                    deadpool_postgres::ManagerConfig {
                        recycling_method: deadpool_postgres::RecyclingMethod::Fast,
                    },
                );
                let pool = deadpool_postgres::Pool::builder(manager)
                    .max_size(workers * POOL_PER_WORKER)
                    .build()
                    .map_err(|e| format!("building the PostgreSQL pool: {e}"))?;
                Ok(Db::Postgres(pool))
            }
            other => Err(format!(
                "RINGSIDE_DB must be sqlite or postgres, not {other:?}"
            )),
        }
    }

    /// Whether the database answers a query on the `world` table.
    pub async fn healthy(&self) -> Result<(), DbError> {
        self.queries(vec![1]).await.map(drop)
    }

    /// One query per id, results in the order of `ids`.
    pub async fn queries(&self, ids: Vec<i32>) -> Result<Vec<World>, DbError> {
        match self {
            Db::Sqlite(db) => db.with(|conn| read_worlds(conn, &ids)),
            Db::Postgres(pool) => pg_read_worlds(&pool.get().await?, &ids).await,
        }
    }

    /// Every row of `fortune`, unsorted.
    pub async fn fortunes(&self) -> Result<Vec<Fortune>, DbError> {
        match self {
            Db::Sqlite(db) => db.with(|conn| {
                    let mut stmt = conn.prepare_cached(SELECT_FORTUNES)?;
                    let rows = stmt.query_map([], |r| {
                        Ok(Fortune {
                            id: r.get(0)?,
                            message: r.get(1)?,
                        })
                    })?;
                    rows.collect()
                }),
            Db::Postgres(pool) => {
                let client = pool.get().await?;
                let stmt = client.prepare_cached(SELECT_FORTUNES).await?;
                Ok(client
                    .query(&stmt, &[])
                    .await?
                    .iter()
                    .map(|r| Fortune {
                        id: r.get(0),
                        message: r.get(1),
                    })
                    .collect())
            }
        }
    }

    /// Reads each id (one query a row), gives it a new random number and
    /// writes the rows back before returning them.
    pub async fn updates(&self, ids: Vec<i32>) -> Result<Vec<World>, DbError> {
        match self {
            Db::Sqlite(db) => db.with(|conn| {
                    let mut worlds = read_worlds(conn, &ids)?;
                    for w in &mut worlds {
                        w.random_number = random_id();
                    }
                    // One write transaction, taken at once: several workers write.
                    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    {
                        let mut sorted = worlds.clone();
                        sorted.sort_by_key(|w| w.id);
                        let mut update = tx.prepare_cached(UPDATE_WORLD_SQLITE)?;
                        for w in &sorted {
                            update.execute((w.random_number, w.id))?;
                        }
                    }
                    tx.commit()?;
                    Ok(worlds)
                }),
            Db::Postgres(pool) => {
                let client = pool.get().await?;
                let mut worlds = pg_read_worlds(&client, &ids).await?;
                for w in &mut worlds {
                    w.random_number = random_id();
                }
                // Distinct ids (the caller's), sorted: concurrent requests
                // lock rows in one order and cannot deadlock.
                let mut sorted = worlds.clone();
                sorted.sort_by_key(|w| w.id);
                let (ids, numbers): (Vec<i32>, Vec<i32>) =
                    sorted.iter().map(|w| (w.id, w.random_number)).unzip();
                let stmt = client.prepare_cached(UPDATE_WORLDS_PG).await?;
                client.execute(&stmt, &[&ids, &numbers]).await?;
                Ok(worlds)
            }
        }
    }
}

/// One query per id, one after another on one connection.
async fn pg_read_worlds(
    client: &deadpool_postgres::Client,
    ids: &[i32],
) -> Result<Vec<World>, DbError> {
    let stmt = client.prepare_cached(SELECT_WORLD_PG).await?;
    let mut worlds = Vec::with_capacity(ids.len());
    for id in ids {
        let r = client.query_one(&stmt, &[id]).await?;
        worlds.push(World {
            id: r.get(0),
            random_number: r.get(1),
        });
    }
    Ok(worlds)
}

fn read_worlds(conn: &rusqlite::Connection, ids: &[i32]) -> rusqlite::Result<Vec<World>> {
    let mut stmt = conn.prepare_cached(SELECT_WORLD_SQLITE)?;
    ids.iter()
        .map(|&id| {
            stmt.query_row([id], |r| {
                Ok(World {
                    id: r.get(0)?,
                    random_number: r.get(1)?,
                })
            })
        })
        .collect()
}

/// The SQLite file; each runtime worker thread opens its own connection on
/// first use and keeps it.
pub struct Sqlite {
    path: String,
}

thread_local! {
    static CONN: RefCell<Option<rusqlite::Connection>> = const { RefCell::new(None) };
}

impl Sqlite {
    /// Runs `f` with this thread's connection, in line.
    fn with<R>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<R>,
    ) -> Result<R, DbError> {
        CONN.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                *slot = Some(open_sqlite(&self.path)?);
            }
            let conn = slot.as_mut().expect("opened above");
            Ok(f(conn)?)
        })
    }
}

fn open_sqlite(path: &str) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}
