//! Ctrl-C while PostgreSQL runs: the signal handler runs every registered
//! cleanup ([`guard::run_all`]); the instance must stop. Alone in its own test
//! binary because `run_all` runs the cleanups of the whole process.

use ringside::db::{self, DbKind};
use ringside::proc::guard;

fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z")
    })
}

#[tokio::test]
async fn interrupt_cleanups_stop_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let database = db::provision(DbKind::Postgres, dir.path()).await.unwrap();
    let pid = database.postgres_pid().expect("postmaster pid");
    assert!(running(pid));
    assert!(guard::run_all() >= 1);
    assert!(
        !running(pid),
        "postmaster {pid} survived the interrupt cleanups"
    );
    // The guard already ran: dropping the database afterwards is harmless.
    drop(database);
}
