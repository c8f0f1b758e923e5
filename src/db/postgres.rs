//! A private PostgreSQL instance: `initdb` into a data directory of ringside's
//! own, `pg_ctl start` on a free loopback port, seeded over tokio-postgres,
//! stopped by [`PgInstance::shutdown`] or, on any other exit path (error,
//! panic, Ctrl-C), by a cleanup registered with [`crate::proc::guard`].
//!
//! The instance is tuned as a throwaway benchmark database: `fsync`,
//! `synchronous_commit` and `full_page_writes` are off, so a crash of the
//! machine may lose it, which costs nothing (it is seeded anew every run) and
//! keeps the disk out of the `/updates` figures of every stack alike. Every
//! connection needs a password (`scram-sha-256`), and the stacks connect as
//! a role that is not a superuser ([`super::pg_auth`], `spec/security.md`).
//!
//! `initdb` refuses to run as root, so when ringside runs as root every
//! PostgreSQL program runs as the `postgres` user (`runuser -u postgres --`)
//! and the instance's directory is owned by that user.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use rand::RngExt;

use super::pg_auth::{self, STACK_ROLE, SUPERUSER, Secret};
use super::{SCHEMA_SQL, WORLD_ROWS};
use crate::proc::guard::{self, Guard};

/// Database the stacks connect to (owned by [`STACK_ROLE`]).
pub const DATABASE: &str = "ringside";
/// Connections the instance accepts: 7 stacks × their pools, with room to spare.
pub const MAX_CONNECTIONS: u32 = 200;

/// Settings written to `ringside.conf`, included from `postgresql.conf`.
const SETTINGS: &str = "\
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
";

/// Unix socket paths are limited to 107 bytes (`sun_path`); past this the
/// socket directory moves to a short private directory under the temp dir.
const MAX_SOCKET_DIR_LEN: usize = 80;

/// A running, seeded PostgreSQL instance. Dropping it stops the server
/// (`pg_ctl stop -m immediate`).
#[derive(Debug)]
pub struct PgInstance {
    ctl: PgCtl,
    port: u16,
    version: String,
    /// Password of [`SUPERUSER`] (also in the instance's 0600 password file).
    superuser_password: Secret,
    /// Password of [`STACK_ROLE`], given to the stacks in their environment.
    stack_password: Secret,
    guard: Option<Guard>,
    /// Stops the postmaster (not ringside's child) if ringside is killed outright.
    _watchdog: Option<Guard>,
    /// Holds the instance directory when the work directory was not reachable
    /// by the `postgres` user (removed on drop).
    _tmp: Vec<tempfile::TempDir>,
}

/// How to run `pg_ctl` against one data directory (cloned into the cleanup).
#[derive(Debug, Clone)]
struct PgCtl {
    bin_dir: PathBuf,
    /// Directory owned by the server's user: `data/`, `socket/`, `postgres.log`.
    root: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    /// The superuser's password for `initdb --pwfile` (removed with the data).
    pwfile: PathBuf,
    /// Run every program as `postgres` (ringside runs as root).
    as_postgres: bool,
}

impl PgCtl {
    fn command(&self, program: &str) -> Command {
        let bin = self.bin_dir.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        };
        // The server's user may not be able to enter ringside's current directory.
        cmd.current_dir(&self.root)
            .stdin(std::process::Stdio::null())
            .env("LC_ALL", "C");
        // The run id lets the next ringside find a postmaster this one left.
        crate::proc::deathsig::arm(&mut cmd);
        cmd
    }

    /// `pg_ctl stop -m MODE -w`. Blocking.
    fn stop(&self, mode: &str) -> anyhow::Result<()> {
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args(["-m", mode, "-w", "-t", "30", "stop"]);
        run(cmd, "pg_ctl stop")
    }

    /// Pid of the postmaster from `postmaster.pid`, while the file exists.
    fn postmaster_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Stops the server however it can: `pg_ctl stop -m immediate`, then
    /// SIGKILL to a postmaster still alive. Never fails, never panics.
    fn stop_hard(&self) {
        let pid = self.postmaster_pid();
        if pid.is_none() {
            return;
        }
        let _ = self.stop("immediate");
        if let Some(pid) = pid.filter(|&p| p > 1 && alive(p)) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

impl PgInstance {
    /// Port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Server version (`initdb --version` output, e.g. `initdb (PostgreSQL) 15.10`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Pid of the postmaster (the server's main process), while it runs.
    pub fn postmaster_pid(&self) -> Option<i32> {
        self.ctl.postmaster_pid()
    }

    /// Data directory of the instance.
    pub fn data_dir(&self) -> &Path {
        &self.ctl.data_dir
    }

    /// The role the stacks connect as (not a superuser).
    pub fn stack_user(&self) -> &'static str {
        STACK_ROLE
    }

    /// The stacks' role's password, for their environment only.
    pub fn stack_password(&self) -> &str {
        self.stack_password.expose()
    }

    /// `postgres://user:password@127.0.0.1:port/database`, as the stacks' role
    /// (the password is URL-safe).
    pub fn url(&self) -> String {
        format!(
            "postgres://{STACK_ROLE}:{}@127.0.0.1:{}/{DATABASE}",
            self.stack_password.expose(),
            self.port
        )
    }

    /// A connection configuration for database `dbname`, as the superuser or the stacks' role.
    fn config(&self, dbname: &str, superuser: bool) -> tokio_postgres::Config {
        let (user, password) = if superuser {
            (SUPERUSER, &self.superuser_password)
        } else {
            (STACK_ROLE, &self.stack_password)
        };
        let mut cfg = tokio_postgres::Config::new();
        cfg.host("127.0.0.1")
            .port(self.port)
            .user(user)
            .password(password.expose())
            .dbname(dbname)
            .connect_timeout(Duration::from_secs(10));
        cfg
    }

    async fn connect(
        &self,
        dbname: &str,
        superuser: bool,
    ) -> anyhow::Result<tokio_postgres::Client> {
        let who = if superuser { SUPERUSER } else { STACK_ROLE };
        let (client, connection) = self
            .config(dbname, superuser)
            .connect(tokio_postgres::NoTls)
            .await
            .with_context(|| {
                format!(
                    "connecting to PostgreSQL on 127.0.0.1:{} as {who}",
                    self.port
                )
            })?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// Reads `randomnumber` of world row `id` on a fresh connection.
    pub async fn world_number(&self, id: i32) -> anyhow::Result<i32> {
        let client = self.connect(DATABASE, false).await?;
        let row = client
            .query_one("SELECT randomnumber FROM world WHERE id = $1", &[&id])
            .await
            .with_context(|| format!("reading world row {id} from PostgreSQL"))?;
        Ok(row.get(0))
    }

    /// Stops the server cleanly (`pg_ctl stop -m fast`), waits for it, and
    /// removes the data directory. Falls back to an immediate stop.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let ctl = self.ctl.clone();
        let result = tokio::task::spawn_blocking(move || {
            let stopped = ctl.stop("fast");
            if stopped.is_ok() {
                let _ = std::fs::remove_dir_all(&ctl.data_dir);
                let _ = std::fs::remove_file(&ctl.pwfile);
            }
            stopped
        })
        .await
        .context("stopping PostgreSQL")?;
        match result {
            Ok(()) => {
                if let Some(g) = self.guard.take() {
                    g.disarm();
                }
                crate::proc::lock::remove_postgres(&self.ctl.data_dir);
                Ok(())
            }
            // Dropping `self` runs the guard: immediate stop, then SIGKILL.
            Err(e) => Err(e.context("stopping PostgreSQL cleanly; stopped it immediately")),
        }
    }

    async fn seed(&self) -> anyhow::Result<()> {
        let admin = self.connect("postgres", true).await?;
        for sql in pg_auth::setup_statements(DATABASE, &self.stack_password) {
            let what = sql.split(" PASSWORD").next().unwrap_or(&sql).to_string();
            admin
                .batch_execute(&sql)
                .await
                .with_context(|| format!("running `{what}`"))?;
        }
        drop(admin);
        let admin = self.connect(DATABASE, true).await?;
        admin
            .batch_execute(&pg_auth::schema_statements())
            .await
            .context("giving the public schema to the stacks' role")?;
        drop(admin);
        // The tables are the stacks' role's own: created and seeded by it.
        let client = self.connect(DATABASE, false).await?;
        client
            .batch_execute(SCHEMA_SQL)
            .await
            .context("creating tables")?;
        let ids: Vec<i32> = (1..=WORLD_ROWS).collect();
        let numbers: Vec<i32> = {
            let mut rng = rand::rng();
            ids.iter().map(|_| rng.random_range(1..=10_000)).collect()
        };
        client
            .execute(
                "INSERT INTO world (id, randomnumber) SELECT * FROM unnest($1::int4[], $2::int4[])",
                &[&ids, &numbers],
            )
            .await
            .context("seeding world")?;
        client
            .batch_execute("VACUUM ANALYZE")
            .await
            .context("analyzing tables")?;
        Ok(())
    }
}

/// Starts and seeds an instance under `work_dir/postgres/`.
pub async fn provision(work_dir: &Path) -> anyhow::Result<PgInstance> {
    let bin_dir = find_bin_dir()?;
    let (ctl, tmp, version, superuser_password) = {
        let work_dir = work_dir.to_path_buf();
        tokio::task::spawn_blocking(move || prepare(&bin_dir, &work_dir))
            .await
            .context("preparing PostgreSQL")??
    };
    // From here on the server may run: the guard stops it on every exit path,
    // and the run lock names it for the next ringside should this one be killed.
    crate::proc::lock::add_postgres(&ctl.data_dir);
    let cleanup_ctl = ctl.clone();
    let guard = guard::register(format!("postgres {}", ctl.data_dir.display()), move || {
        cleanup_ctl.stop_hard();
        let _ = std::fs::remove_file(&cleanup_ctl.pwfile);
        crate::proc::lock::remove_postgres(&cleanup_ctl.data_dir);
    });
    let port = {
        let ctl = ctl.clone();
        tokio::task::spawn_blocking(move || start(&ctl))
            .await
            .context("starting PostgreSQL")??
    };
    let watchdog = ctl.postmaster_pid().and_then(|pid| {
        crate::proc::watchdog::stop_if_ringside_dies("postgres", pid, &ctl.data_dir).ok()
    });
    let instance = PgInstance {
        ctl,
        port,
        version,
        superuser_password,
        stack_password: Secret::generate(),
        guard: Some(guard),
        _watchdog: watchdog,
        _tmp: tmp,
    };
    instance
        .seed()
        .await
        .context("seeding the PostgreSQL database")?;
    Ok(instance)
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: the first in PATH,
/// else the newest `/usr/lib/postgresql/*/bin` (Debian and Ubuntu).
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    find_bin_dir_in(
        std::env::var_os("PATH").as_deref(),
        Path::new("/usr/lib/postgresql"),
    )
}

fn find_bin_dir_in(path: Option<&std::ffi::OsStr>, lib_root: &Path) -> anyhow::Result<PathBuf> {
    let complete = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    if let Some(dir) = path
        .into_iter()
        .flat_map(std::env::split_paths)
        .find(|dir| complete(dir))
    {
        return Ok(dir);
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(lib_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version: Vec<u32> = name
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| complete(bin))
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "PostgreSQL not found (no initdb, pg_ctl and postgres in PATH or {}/*/bin): apt-get install postgresql",
            lib_root.display()
        ),
    }
}

/// Creates the instance directory (owned by `postgres` when root) and runs
/// `initdb`. Blocking.
#[allow(clippy::type_complexity)]
fn prepare(
    bin_dir: &Path,
    work_dir: &Path,
) -> anyhow::Result<(PgCtl, Vec<tempfile::TempDir>, String, Secret)> {
    let as_postgres = nix::unistd::geteuid().is_root();
    let owner = if as_postgres {
        let user = nix::unistd::User::from_name("postgres")
            .context("looking up the postgres user")?
            .context("ringside runs as root and initdb refuses root, but there is no `postgres` user to run PostgreSQL as (apt-get install postgresql creates it)")?;
        Some((user.uid, user.gid))
    } else {
        None
    };
    std::fs::create_dir_all(work_dir)
        .with_context(|| format!("creating work directory {}", work_dir.display()))?;
    let work_dir = std::fs::canonicalize(work_dir)?;
    let mut tmp = Vec::new();

    let mut root = work_dir.join("postgres");
    make_instance_dir(&root, owner)?;
    if owner.is_some() && !reachable_by_postgres(&root) {
        // An ancestor (a 0700 temp or home directory) shuts the postgres user out.
        let dir = private_tmp_dir("ringside-pg-")?;
        root = dir.path().to_path_buf();
        make_instance_dir(&root, owner)?;
        tmp.push(dir);
    }
    let mut socket_dir = root.join("socket");
    if socket_dir.as_os_str().len() > MAX_SOCKET_DIR_LEN {
        let dir = private_tmp_dir("rs-pg-")?;
        socket_dir = dir.path().to_path_buf();
        tmp.push(dir);
    }
    make_instance_dir(&socket_dir, owner)?;

    let ctl = PgCtl {
        bin_dir: bin_dir.to_path_buf(),
        data_dir: root.join("data"),
        log_file: root.join("postgres.log"),
        pwfile: root.join(pg_auth::PWFILE),
        socket_dir,
        root,
        as_postgres,
    };
    if ctl.data_dir.exists() {
        // A postmaster left by a ringside killed outright may still run in it;
        // one ringside did not start is not stopped, nor its folder removed.
        if let Err(why) = crate::proc::reaper::stop_postmaster(&ctl.data_dir) {
            bail!(
                "{} holds a running PostgreSQL that ringside will not stop: {why}; \
                 stop it yourself (pg_ctl -D {} stop) or use another --out",
                ctl.data_dir.display(),
                ctl.data_dir.display()
            );
        }
        std::fs::remove_dir_all(&ctl.data_dir)
            .with_context(|| format!("removing old data directory {}", ctl.data_dir.display()))?;
    }

    let mut version_cmd = ctl.command("initdb");
    version_cmd.arg("--version");
    let version = String::from_utf8_lossy(
        &version_cmd
            .output()
            .with_context(|| format!("running {}", bin_dir.join("initdb").display()))?
            .stdout,
    )
    .trim()
    .to_string();

    // The next ringside stops a server left here only on this mark's word
    // and the run id in the server's environment, never on a lock's alone.
    crate::proc::reaper::mark_instance(&ctl.root)?;
    let superuser_password = Secret::generate();
    pg_auth::write_pwfile(&ctl.pwfile, &superuser_password, owner)?;
    let mut initdb = ctl.command("initdb");
    initdb
        .arg("-D")
        .arg(&ctl.data_dir)
        .args([
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .arg(format!("--pwfile={}", ctl.pwfile.display()));
    run(initdb, "initdb")?;

    let conf = ctl.data_dir.join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf).context("reading postgresql.conf")?;
    text.push_str("\ninclude = 'ringside.conf'\n");
    std::fs::write(&conf, text).context("writing postgresql.conf")?;
    Ok((ctl, tmp, version, superuser_password))
}

/// `pg_ctl start -w` on a free port; retries with another port when the one
/// picked was taken meanwhile. Blocking. Returns the port.
fn start(ctl: &PgCtl) -> anyhow::Result<u16> {
    let mut last_err = None;
    for _attempt in 0..3 {
        let port = crate::net::free_port().context("finding a free loopback port")?;
        let settings = format!(
            "{SETTINGS}max_connections = {MAX_CONNECTIONS}\nport = {port}\nunix_socket_directories = '{}'\n",
            ctl.socket_dir.display()
        );
        std::fs::write(ctl.data_dir.join("ringside.conf"), settings)
            .context("writing ringside.conf")?;
        let mut cmd = ctl.command("pg_ctl");
        cmd.arg("-D")
            .arg(&ctl.data_dir)
            .arg("-l")
            .arg(&ctl.log_file)
            .args(["-w", "-t", "60", "start"]);
        match run(cmd, "pg_ctl start") {
            Ok(()) => return Ok(port),
            Err(e) => {
                let log = tail(
                    &std::fs::read_to_string(&ctl.log_file).unwrap_or_default(),
                    8,
                );
                ctl.stop_hard();
                let err = e.context(format!(
                    "PostgreSQL did not start on 127.0.0.1:{port}; {} ends:\n{log}",
                    ctl.log_file.display()
                ));
                if !log.contains("already in use") {
                    return Err(err);
                }
                last_err = Some(err);
            }
        }
    }
    Err(last_err.expect("three attempts"))
}

/// Creates `dir` (mode 0700) owned by `owner` when given.
fn make_instance_dir(
    dir: &Path,
    owner: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    if let Some((uid, gid)) = owner {
        nix::unistd::chown(dir, Some(uid), Some(gid))
            .with_context(|| format!("giving {} to the postgres user", dir.display()))?;
    }
    Ok(())
}

/// A fresh directory under the temp dir (`/tmp` is open to every user).
fn private_tmp_dir(prefix: &str) -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .context("creating a directory for PostgreSQL under the temp directory")
}

/// Whether the `postgres` user can enter and write `dir`.
fn reachable_by_postgres(dir: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-w"])
        .arg(dir)
        .arg("-a")
        .arg("-x")
        .arg(dir)
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

/// Runs `cmd` to completion; a failure quotes the last lines of its output.
fn run(mut cmd: Command, what: &str) -> anyhow::Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("running {what} ({:?})", cmd.get_program()))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    if text.trim().is_empty() {
        text = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    bail!("{what} failed ({}):\n{}", out.status, tail(&text, 8))
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_install(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for b in ["initdb", "pg_ctl", "postgres"] {
            std::fs::write(dir.join(b), "").unwrap();
        }
    }

    #[test]
    fn missing_postgres_says_how_to_install_it() {
        let empty = tempfile::tempdir().unwrap();
        let err = find_bin_dir_in(Some(empty.path().as_os_str()), empty.path()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("PostgreSQL not found"), "{msg}");
        assert!(msg.ends_with("apt-get install postgresql"), "{msg}");
    }

    #[test]
    fn path_wins_then_the_newest_version_by_number() {
        let root = tempfile::tempdir().unwrap();
        for v in ["9.6", "10", "15", "notaversion"] {
            fake_install(&root.path().join(v).join("bin"));
        }
        std::fs::create_dir_all(root.path().join("16/bin")).unwrap(); // incomplete
        let none = tempfile::tempdir().unwrap();
        let found = find_bin_dir_in(Some(none.path().as_os_str()), root.path()).unwrap();
        assert_eq!(found, root.path().join("15/bin"));

        let on_path = tempfile::tempdir().unwrap();
        fake_install(on_path.path());
        let path = std::env::join_paths([none.path(), on_path.path()]).unwrap();
        let found = find_bin_dir_in(Some(&path), root.path()).unwrap();
        assert_eq!(found, on_path.path());
    }
}
