//! Database access for `/db`, `/queries`, `/fortunes`, `/updates`, `/health`:
//! SQLite through rusqlite (a small pool of connections, each used on
//! tokio's blocking threads) or PostgreSQL through tokio-postgres with a
//! deadpool pool. Chosen by `RINGSIDE_DB` (`sqlite`, the default, or `postgres`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::try_join_all;
use rusqlite::{OpenFlags, TransactionBehavior};
use serde::Serialize;
use tokio::sync::Semaphore;

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

pub enum Db {
    Sqlite(Arc<SqlitePool>),
    Postgres(deadpool_postgres::Pool),
}

impl Db {
    /// Opens the database the harness describes in the environment. SQLite
    /// gets `2 × workers` connections (at most 16); PostgreSQL 10 connections
    /// a worker thread (at most 80), the budget the Node stacks use a process.
    pub fn from_env(workers: usize) -> Result<Db, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match var("RINGSIDE_DB").as_deref().unwrap_or("sqlite") {
            "sqlite" => {
                let path = var("RINGSIDE_SQLITE_PATH").ok_or("RINGSIDE_SQLITE_PATH is not set")?;
                let size = (workers * 2).clamp(2, 16);
                Ok(Db::Sqlite(Arc::new(SqlitePool::open(&path, size)?)))
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
                    .max_size((workers * 10).min(80))
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
            Db::Sqlite(pool) => pool.with(move |conn| read_worlds(conn, &ids)).await,
            Db::Postgres(pool) => pg_read_worlds(&pool.get().await?, &ids).await,
        }
    }

    /// Every row of `fortune`, unsorted.
    pub async fn fortunes(&self) -> Result<Vec<Fortune>, DbError> {
        match self {
            Db::Sqlite(pool) => {
                pool.with(|conn| {
                    let mut stmt = conn.prepare_cached(SELECT_FORTUNES)?;
                    let rows = stmt.query_map([], |r| {
                        Ok(Fortune {
                            id: r.get(0)?,
                            message: r.get(1)?,
                        })
                    })?;
                    rows.collect()
                })
                .await
            }
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
            Db::Sqlite(pool) => {
                pool.with(move |conn| {
                    let mut worlds = read_worlds(conn, &ids)?;
                    for w in &mut worlds {
                        w.random_number = random_id();
                    }
                    // One write transaction, taken at once: several workers write.
                    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    {
                        let mut update = tx.prepare_cached(UPDATE_WORLD_SQLITE)?;
                        for w in &worlds {
                            update.execute((w.random_number, w.id))?;
                        }
                    }
                    tx.commit()?;
                    Ok(worlds)
                })
                .await
            }
            Db::Postgres(pool) => {
                let client = pool.get().await?;
                let mut worlds = pg_read_worlds(&client, &ids).await?;
                for w in &mut worlds {
                    w.random_number = random_id();
                }
                // Ids sorted, last value of a repeated id kept: concurrent
                // requests lock rows in one order and cannot deadlock.
                let mut latest = worlds.clone();
                latest.reverse();
                latest.sort_by_key(|w| w.id);
                latest.dedup_by_key(|w| w.id);
                let (ids, numbers): (Vec<i32>, Vec<i32>) =
                    latest.iter().map(|w| (w.id, w.random_number)).unzip();
                let stmt = client.prepare_cached(UPDATE_WORLDS_PG).await?;
                client.execute(&stmt, &[&ids, &numbers]).await?;
                Ok(worlds)
            }
        }
    }
}

/// One query per id, pipelined on one connection.
async fn pg_read_worlds(
    client: &deadpool_postgres::Client,
    ids: &[i32],
) -> Result<Vec<World>, DbError> {
    let stmt = client.prepare_cached(SELECT_WORLD_PG).await?;
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        ids.iter().map(|id| id as _).collect();
    let rows = try_join_all(
        params
            .iter()
            .map(|p| client.query_one(&stmt, std::slice::from_ref(p))),
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| World {
            id: r.get(0),
            random_number: r.get(1),
        })
        .collect())
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

/// A fixed set of SQLite connections; a semaphore hands them out and each
/// is used on tokio's blocking threads (rusqlite calls block).
pub struct SqlitePool {
    path: String,
    idle: Mutex<Vec<rusqlite::Connection>>,
    permits: Arc<Semaphore>,
}

impl SqlitePool {
    fn open(path: &str, size: usize) -> Result<SqlitePool, String> {
        let idle = (0..size)
            .map(|_| open_sqlite(path))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("opening SQLite database {path}: {e}"))?;
        Ok(SqlitePool {
            path: path.to_string(),
            idle: Mutex::new(idle),
            permits: Arc::new(Semaphore::new(size)),
        })
    }

    /// Runs `f` with a connection of the pool on a blocking thread.
    async fn with<R, F>(self: &Arc<Self>, f: F) -> Result<R, DbError>
    where
        R: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let permit = self.permits.clone().acquire_owned().await?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let taken = pool.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            // A connection lost to a panic is replaced.
            let mut conn = match taken {
                Some(conn) => conn,
                None => open_sqlite(&pool.path)?,
            };
            let result = f(&mut conn);
            pool.idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(conn);
            Ok(result?)
        })
        .await?
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
