//! Provisioning the stacks' databases: SQLite seeding, and a private
//! PostgreSQL instance that starts, seeds, and leaves no process behind.

use std::collections::HashMap;
use std::path::Path;

use ringside::db::{self, DbKind};

const NON_ASCII_FORTUNE: &str = "フレームワークのベンチマーク";
const SCRIPT_FORTUNE: &str =
    "<script>alert(\"This should not be displayed in a browser alert box.\");</script>";

fn env_map(db: &db::Database) -> HashMap<String, String> {
    db.env().into_iter().collect()
}

/// True while `pid` exists and is not a zombie.
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z"),
        Err(_) => false,
    }
}

/// Pids of live processes whose command line mentions `needle`.
fn processes_mentioning(needle: &Path) -> Vec<i32> {
    let needle = needle.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmd)
                .replace('\0', " ")
                .contains(&needle)
                && running(pid)
        })
        .collect()
}

#[tokio::test]
async fn sqlite_is_seeded_in_wal_mode_with_world_and_fortunes() {
    let dir = tempfile::tempdir().unwrap();
    let database = db::provision(DbKind::Sqlite, dir.path()).await.unwrap();
    assert_eq!(database.kind(), DbKind::Sqlite);

    let env = env_map(&database);
    assert_eq!(env["RINGSIDE_DB"], "sqlite");
    let path = Path::new(&env["RINGSIDE_SQLITE_PATH"]);
    assert!(path.is_absolute(), "{path:?}");
    assert_eq!(Some(path), database.sqlite_path());

    let conn = rusqlite::Connection::open(path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let (count, min_id, max_id, min_n, max_n): (i64, i64, i64, i64, i64) = conn
        .query_row(
            "SELECT count(*), min(id), max(id), min(randomnumber), max(randomnumber) FROM world",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!((count, min_id, max_id), (10_000, 1, 10_000));
    assert!(
        min_n >= 1 && max_n <= 10_000 && min_n < max_n,
        "{min_n}..{max_n}"
    );

    let fortunes: Vec<(i64, String)> = conn
        .prepare("SELECT id, message FROM fortune ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(fortunes.len(), 12);
    assert_eq!(fortunes[10], (11, SCRIPT_FORTUNE.to_string()));
    assert_eq!(fortunes[11], (12, NON_ASCII_FORTUNE.to_string()));
    assert_eq!(
        fortunes[1].1,
        "A computer scientist is someone who fixes things that aren't broken."
    );

    let direct: i32 = conn
        .query_row("SELECT randomnumber FROM world WHERE id = 42", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(database.world_number(42).await.unwrap(), direct);
    conn.execute("UPDATE world SET randomnumber = 7777 WHERE id = 42", [])
        .unwrap();
    assert_eq!(database.world_number(42).await.unwrap(), 7777);
    drop(conn);
    database.shutdown().await.unwrap();

    // Provisioning again starts from a fresh file.
    let again = db::provision(DbKind::Sqlite, dir.path()).await.unwrap();
    assert!((1..=10_000).contains(&again.world_number(42).await.unwrap()));
    let conn = rusqlite::Connection::open(path).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM world", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 10_000);
}

#[tokio::test]
async fn postgres_starts_seeds_and_shutdown_leaves_no_process() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // Open to the postgres user, so the instance lives inside the work directory.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let database = db::provision(DbKind::Postgres, dir.path()).await.unwrap();
    let work_dir = std::fs::canonicalize(dir.path()).unwrap();
    assert!(database.postgres_data_dir().unwrap().starts_with(&work_dir));
    assert_eq!(database.kind(), DbKind::Postgres);
    let pid = database.postgres_pid().expect("postmaster pid");
    assert!(running(pid));
    let data_dir = database.postgres_data_dir().unwrap().to_path_buf();
    assert!(!processes_mentioning(&data_dir).is_empty());

    let env = env_map(&database);
    assert_eq!(env["RINGSIDE_DB"], "postgres");
    assert_eq!(env["RINGSIDE_PG_HOST"], "127.0.0.1");
    let port: u16 = env["RINGSIDE_PG_PORT"].parse().unwrap();
    assert_eq!(
        env["RINGSIDE_PG_URL"],
        format!(
            "postgres://{}:{}@127.0.0.1:{port}/{}",
            env["RINGSIDE_PG_USER"], env["RINGSIDE_PG_PASSWORD"], env["RINGSIDE_PG_DATABASE"]
        )
    );

    // Connect the way a stack would: from the environment alone.
    let (client, conn) = tokio_postgres::connect(&env["RINGSIDE_PG_URL"], tokio_postgres::NoTls)
        .await
        .unwrap();
    let conn_task = tokio::spawn(conn);
    let row = client
        .query_one(
            "SELECT count(*), min(id), max(id), min(randomnumber), max(randomnumber) FROM world",
            &[],
        )
        .await
        .unwrap();
    let (count, min_id, max_id): (i64, i32, i32) = (row.get(0), row.get(1), row.get(2));
    let (min_n, max_n): (i32, i32) = (row.get(3), row.get(4));
    assert_eq!((count, min_id, max_id), (10_000, 1, 10_000));
    assert!(min_n >= 1 && max_n <= 10_000 && min_n < max_n);
    let fortunes = client
        .query("SELECT id, message FROM fortune ORDER BY id", &[])
        .await
        .unwrap();
    assert_eq!(fortunes.len(), 12);
    assert_eq!(fortunes[10].get::<_, String>(1), SCRIPT_FORTUNE);
    assert_eq!(fortunes[11].get::<_, String>(1), NON_ASCII_FORTUNE);
    let max_conn: String = client
        .query_one("SHOW max_connections", &[])
        .await
        .unwrap()
        .get(0);
    assert!(max_conn.parse::<u32>().unwrap() >= 200);

    client
        .execute("UPDATE world SET randomnumber = 4321 WHERE id = 99", &[])
        .await
        .unwrap();
    assert_eq!(database.world_number(99).await.unwrap(), 4321);
    drop(client);
    let _ = conn_task.await;

    database.shutdown().await.unwrap();
    assert!(!running(pid), "postmaster {pid} still running");
    assert!(
        processes_mentioning(&data_dir).is_empty(),
        "postgres processes left"
    );
    let ours = data_dir.display().to_string();
    assert!(
        !ringside::proc::guard::pending()
            .iter()
            .any(|n| n.contains(&ours)),
        "the stop guard is still armed"
    );
}

#[tokio::test]
async fn dropping_a_postgres_database_stops_the_server() {
    // A 0700 work directory: as root the instance moves to a directory the
    // postgres user can reach.
    let dir = tempfile::tempdir().unwrap();
    let database = db::provision(DbKind::Postgres, dir.path()).await.unwrap();
    let pid = database.postgres_pid().expect("postmaster pid");
    let data_dir = database.postgres_data_dir().unwrap().to_path_buf();
    assert!(running(pid));
    drop(database);
    assert!(!running(pid), "postmaster {pid} still running after drop");
    assert!(processes_mentioning(&data_dir).is_empty());
}
