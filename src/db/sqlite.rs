//! The embedded default database: one SQLite file in WAL mode, created fresh
//! and seeded with the contract's tables (`spec/schema.sql`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rand::RngExt;
use rusqlite::{Connection, OpenFlags};

use super::{SCHEMA_SQL, WORLD_ROWS};

/// File name of the database inside the work directory.
pub const FILE_NAME: &str = "ringside.sqlite";

/// Busy timeout of ringside's own connections (the contract asks stacks for at least 5 s).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates `work_dir/ringside.sqlite` afresh (removing an old file and its WAL),
/// switches it to WAL mode and seeds it in one transaction. Returns the absolute
/// path. Blocking: call it from `spawn_blocking`.
pub fn create(work_dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(work_dir)
        .with_context(|| format!("creating work directory {}", work_dir.display()))?;
    let dir = std::fs::canonicalize(work_dir)
        .with_context(|| format!("resolving work directory {}", work_dir.display()))?;
    let path = dir.join(FILE_NAME);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing old {}", p.display())),
        }
    }
    seed(&path).with_context(|| format!("seeding SQLite database {}", path.display()))?;
    Ok(path)
}

fn seed(path: &Path) -> anyhow::Result<()> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    anyhow::ensure!(
        mode.eq_ignore_ascii_case("wal"),
        "could not switch to WAL mode (journal_mode is {mode})"
    );
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA_SQL)?;
    {
        let mut insert = tx.prepare("INSERT INTO world (id, randomnumber) VALUES (?1, ?2)")?;
        let mut rng = rand::rng();
        for id in 1..=WORLD_ROWS {
            insert.execute((id, rng.random_range(1..=10_000i32)))?;
        }
    }
    tx.commit()?;
    conn.execute_batch("ANALYZE")?;
    Ok(())
}

/// Reads `randomnumber` of world row `id` on a fresh read-only connection.
/// Blocking: call it from `spawn_blocking`.
pub fn world_number(path: &Path, id: i32) -> anyhow::Result<i32> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.query_row("SELECT randomnumber FROM world WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .with_context(|| format!("reading world row {id} from {}", path.display()))
}
