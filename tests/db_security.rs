//! The managed PostgreSQL is safe from the machine's other users
//! (`spec/security.md`): while an instance ringside started runs, another
//! local user (`nobody`, through `runuser`) is refused by `psql` as the
//! superuser and as the stacks' role, with no password and with the
//! well-known one ringside used to set; the stacks' role is not a superuser
//! and cannot run a program through `COPY … TO PROGRAM`; the superuser's
//! password lives in a 0600 file and nowhere the reports can reach.
//!
//! Needs root (to be another user), a `nobody` user and `psql`; skips
//! saying so otherwise.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use ringside::db::{self, DbKind};

/// Why this host cannot play another local user, or `None` when it can.
fn cannot_play_another_user() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not root: cannot run psql as another user".into());
    }
    if nix::unistd::User::from_name("nobody")
        .ok()
        .flatten()
        .is_none()
    {
        return Some("no `nobody` user".into());
    }
    let psql = Command::new("psql")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !psql.is_ok_and(|s| s.success()) {
        return Some("no psql (apt-get install postgresql-client)".into());
    }
    None
}

/// `runuser -u nobody -- psql -h 127.0.0.1 -p PORT -U USER -c 'select 1'`,
/// never prompting; `password` in PGPASSWORD when given.
fn psql_as_nobody(port: u16, user: &str, password: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", "nobody", "--", "psql", "-w", "-h", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["-U", user, "-d", "postgres", "-c", "select 1"])
        .current_dir("/")
        .env_remove("PGPASSWORD")
        .env_remove("PGPASSFILE")
        .env("PGCONNECT_TIMEOUT", "5")
        .stdin(Stdio::null());
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().expect("runuser runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn another_local_user_is_refused_and_the_stacks_role_is_not_a_superuser() {
    if let Some(why) = cannot_play_another_user() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database = db::provision(DbKind::Postgres, dir.path()).await.unwrap();
    let env: HashMap<String, String> = database.env().into_iter().collect();
    let port: u16 = env["RINGSIDE_PG_PORT"].parse().unwrap();
    let stack_user = env["RINGSIDE_PG_USER"].clone();
    let stack_password = env["RINGSIDE_PG_PASSWORD"].clone();
    assert_ne!(
        stack_user,
        db::PG_SUPERUSER,
        "the stacks use their own role"
    );
    assert!(stack_password.len() >= 32, "a random password");

    // Another local user, as the superuser and as the stacks' role, with no
    // password and with the one ringside used to hand everyone.
    for user in [db::PG_SUPERUSER, stack_user.as_str()] {
        for password in [None, Some("ringside")] {
            let (ok, stderr) = psql_as_nobody(port, user, password);
            assert!(
                !ok,
                "nobody connected as {user} (password {password:?}): {stderr}"
            );
            assert!(
                stderr.contains("password"),
                "refused for the password, not for something else: {stderr}"
            );
        }
    }

    // The stacks' role, from the stacks' environment: no superuser, no
    // program run through the server, no other database.
    let (client, conn) = tokio_postgres::connect(&env["RINGSIDE_PG_URL"], tokio_postgres::NoTls)
        .await
        .unwrap();
    let conn_task = tokio::spawn(conn);
    let row = client
        .query_one(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .unwrap();
    let (sup, createrole, createdb): (bool, bool, bool) = (row.get(0), row.get(1), row.get(2));
    assert!(
        !sup && !createrole && !createdb,
        "{sup} {createrole} {createdb}"
    );
    let copy = client
        .batch_execute("COPY (SELECT 1) TO PROGRAM 'id'")
        .await
        .unwrap_err();
    assert!(
        copy.to_string().contains("permission")
            || format!("{:?}", copy.as_db_error()).contains("42501"),
        "{copy}"
    );
    // Its own database: the tables are its own.
    let owner: String = client
        .query_one(
            "SELECT tableowner::text FROM pg_tables WHERE tablename = 'world'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(owner, stack_user);
    drop(client);
    let _ = conn_task.await;
    let other = tokio_postgres::connect(
        &format!(
            "{}/postgres",
            env["RINGSIDE_PG_URL"].strip_suffix("/ringside").unwrap()
        ),
        tokio_postgres::NoTls,
    )
    .await;
    assert!(other.is_err(), "the stacks' role reached database postgres");

    // The superuser's password: a 0600 file beside the data folder, not in
    // what ringside prints about the database.
    use std::os::unix::fs::MetadataExt;
    let pwfile = database
        .postgres_data_dir()
        .unwrap()
        .parent()
        .unwrap()
        .join("superuser.password");
    let meta = std::fs::metadata(&pwfile).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600, "{}", pwfile.display());
    let secret = std::fs::read_to_string(&pwfile).unwrap();
    let secret = secret.trim();
    assert!(secret.len() >= 32);
    assert!(!database.describe().contains(secret));
    assert!(!format!("{database:?}").contains(secret));
    assert!(!format!("{database:?}").contains(&stack_password));
    assert!(env.values().all(|v| !v.contains(secret)));

    database.shutdown().await.unwrap();
    assert!(!pwfile.exists(), "the password file outlived the cluster");
}
