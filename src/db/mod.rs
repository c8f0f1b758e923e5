//! Databases for the stacks: SQLite (embedded default, a seeded file) and
//! PostgreSQL (an instance ringside starts itself and stops at the end).

use serde::{Deserialize, Serialize};

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
    _private: (),
}

impl Database {
    pub fn kind(&self) -> DbKind {
        todo!()
    }
    /// The `RINGSIDE_DB*` / `RINGSIDE_SQLITE_PATH` / `RINGSIDE_PG_*` variables for a stack.
    pub fn env(&self) -> Vec<(String, String)> {
        todo!()
    }
    /// `randomnumber` of one world row, read directly (verifies `/updates` persisted).
    pub async fn world_number(&self, id: i32) -> anyhow::Result<i32> {
        let _ = id;
        todo!()
    }
    /// Stops the instance (PostgreSQL) and waits for it; SQLite: nothing.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        todo!()
    }
}

/// Creates and seeds a database under `work_dir` (SQLite: a file; PostgreSQL:
/// initdb + pg_ctl on a free loopback port, as `postgres` when run as root).
pub async fn provision(kind: DbKind, work_dir: &std::path::Path) -> anyhow::Result<Database> {
    let _ = (kind, work_dir);
    anyhow::bail!("database provisioning is not built yet")
}
