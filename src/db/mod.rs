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
