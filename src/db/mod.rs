//! Databases for the stacks: SQLite (embedded default, a seeded file) and
//! PostgreSQL (an instance ringside starts itself and stops at the end).
//!
//! [`provision`] creates and seeds one; the stacks find it through the
//! environment of [`Database::env`]; [`Database::world_number`] reads a row
//! behind the stacks' backs to check that `/updates` persisted.

mod pg_auth;
mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub use pg_auth::{STACK_ROLE as PG_STACK_ROLE, SUPERUSER as PG_SUPERUSER};
pub use postgres::DATABASE as PG_DATABASE;
pub use postgres::{MAX_CONNECTIONS as PG_MAX_CONNECTIONS, find_bin_dir as find_postgres};

/// Tables and fortunes of the workload contract (`spec/schema.sql`), valid
/// SQL for both SQLite and PostgreSQL.
pub const SCHEMA_SQL: &str = include_str!("../../spec/schema.sql");

/// Rows of `world`, ids `1..=WORLD_ROWS`, `randomnumber` in `1..=10000`.
pub const WORLD_ROWS: i32 = 10_000;

/// Which database the stacks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn name(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
    }
}

/// A provisioned, seeded database. Dropping it stops a PostgreSQL instance.
#[derive(Debug)]
pub struct Database {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Sqlite { path: PathBuf },
    Postgres(Box<postgres::PgInstance>),
}

impl Database {
    pub fn kind(&self) -> DbKind {
        match self.inner {
            Inner::Sqlite { .. } => DbKind::Sqlite,
            Inner::Postgres(_) => DbKind::Postgres,
        }
    }

    /// The `RINGSIDE_DB*` / `RINGSIDE_SQLITE_PATH` / `RINGSIDE_PG_*` variables for a stack.
    pub fn env(&self) -> Vec<(String, String)> {
        let pair = |k: &str, v: String| (k.to_string(), v);
        match &self.inner {
            Inner::Sqlite { path } => vec![
                pair("RINGSIDE_DB", "sqlite".into()),
                pair("RINGSIDE_SQLITE_PATH", path.display().to_string()),
            ],
            Inner::Postgres(pg) => vec![
                pair("RINGSIDE_DB", "postgres".into()),
                pair("RINGSIDE_PG_HOST", "127.0.0.1".into()),
                pair("RINGSIDE_PG_PORT", pg.port().to_string()),
                pair("RINGSIDE_PG_USER", pg.stack_user().into()),
                pair("RINGSIDE_PG_PASSWORD", pg.stack_password().into()),
                pair("RINGSIDE_PG_DATABASE", postgres::DATABASE.into()),
                pair("RINGSIDE_PG_URL", pg.url()),
            ],
        }
    }

    /// One line for logs and reports: the file, or the server and its port.
    pub fn describe(&self) -> String {
        match &self.inner {
            Inner::Sqlite { path } => {
                format!("SQLite {} ({})", rusqlite::version(), path.display())
            }
            Inner::Postgres(pg) => format!("{} on 127.0.0.1:{}", pg.version(), pg.port()),
        }
    }

    /// Absolute path of the SQLite file (`None` for PostgreSQL).
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Sqlite { path } => Some(path),
            Inner::Postgres(_) => None,
        }
    }

    /// Pid of the PostgreSQL postmaster while it runs (`None` for SQLite).
    pub fn postgres_pid(&self) -> Option<i32> {
        match &self.inner {
            Inner::Sqlite { .. } => None,
            Inner::Postgres(pg) => pg.postmaster_pid(),
        }
    }

    /// Data directory of the PostgreSQL instance (`None` for SQLite).
    pub fn postgres_data_dir(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Sqlite { .. } => None,
            Inner::Postgres(pg) => Some(pg.data_dir()),
        }
    }

    /// `randomnumber` of one world row, read directly (verifies `/updates` persisted).
    pub async fn world_number(&self, id: i32) -> anyhow::Result<i32> {
        match &self.inner {
            Inner::Sqlite { path } => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || sqlite::world_number(&path, id))
                    .await
                    .context("reading SQLite")?
            }
            Inner::Postgres(pg) => pg.world_number(id).await,
        }
    }

    /// Stops the instance (PostgreSQL) and waits for it; SQLite: nothing.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        match self.inner {
            Inner::Sqlite { .. } => Ok(()),
            Inner::Postgres(pg) => pg.shutdown().await,
        }
    }
}

/// Creates and seeds a database under `work_dir` (SQLite: a file; PostgreSQL:
/// initdb + pg_ctl on a free loopback port, as `postgres` when run as root).
pub async fn provision(kind: DbKind, work_dir: &std::path::Path) -> anyhow::Result<Database> {
    let inner = match kind {
        DbKind::Sqlite => {
            let dir = work_dir.to_path_buf();
            let path = tokio::task::spawn_blocking(move || sqlite::create(&dir))
                .await
                .context("seeding SQLite")??;
            Inner::Sqlite { path }
        }
        DbKind::Postgres => Inner::Postgres(Box::new(
            postgres::provision(work_dir)
                .await
                .context("provisioning PostgreSQL")?,
        )),
    };
    Ok(Database { inner })
}
