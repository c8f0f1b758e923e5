//! Who may connect to the managed PostgreSQL (`spec/security.md`): nobody
//! without a password. `initdb` sets `scram-sha-256` for every `host` and
//! `local` line of `pg_hba.conf`; the superuser's password is random, made
//! for this cluster, handed to `initdb` in a 0600 file (`--pwfile`, never on
//! a command line) and kept only in memory and that file. The stacks connect
//! as [`STACK_ROLE`], a role with no privilege but owning the benchmark
//! database, with a second random password that reaches them through their
//! environment (`RINGSIDE_PG_PASSWORD`, `RINGSIDE_PG_URL`), which only
//! their own user (and root) can read, and never a report or results file.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use anyhow::Context;
use rand::RngExt;

/// The cluster's superuser (ringside's own connections: creating the role,
/// the database, and handing the schema to the stacks' role).
pub const SUPERUSER: &str = "ringside";
/// The role the stacks (and ringside's reads behind their backs) connect as.
pub const STACK_ROLE: &str = "ringside_stack";
/// File holding the superuser's password, in the instance directory.
pub const PWFILE: &str = "superuser.password";

/// Characters of a password: URL-safe, so `RINGSIDE_PG_URL` needs no escaping.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// 32 characters of 62: about 190 bits.
const LEN: usize = 32;

/// A password; its `Debug` shows no character of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// A fresh random password from the thread's CSPRNG (seeded by the OS).
    pub fn generate() -> Secret {
        let mut rng = rand::rng();
        let s = (0..LEN)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        Secret(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Writes `secret` to a new file `path`, mode 0600 from its creation (not
/// chmod'ed after), owned by `owner` when given (the `postgres` user, who
/// runs `initdb` when ringside is root).
pub fn write_pwfile(
    path: &Path,
    secret: &Secret,
    owner: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing old {}", path.display())),
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| format!("creating the password file {}", path.display()))?;
    file.write_all(format!("{}\n", secret.expose()).as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    if let Some((uid, gid)) = owner {
        nix::unistd::fchown(&file, Some(uid), Some(gid))
            .with_context(|| format!("giving {} to the postgres user", path.display()))?;
    }
    Ok(())
}

/// Statements run by the superuser in database `postgres`, one at a time
/// (`CREATE DATABASE` refuses a transaction block): the stacks' role, with
/// its password sent as a SCRAM verifier (the server never sees the
/// password itself, so no log can hold it), and the benchmark database it owns.
pub fn setup_statements(database: &str, stack_password: &Secret) -> Vec<String> {
    let verifier = postgres_protocol::password::scram_sha_256(stack_password.expose().as_bytes());
    vec![
        format!(
            "CREATE ROLE {STACK_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE \
             NOREPLICATION NOBYPASSRLS PASSWORD '{verifier}'"
        ),
        format!("CREATE DATABASE {database} OWNER {STACK_ROLE}"),
        // The stacks' role reaches its own database only.
        "REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC".to_string(),
        "REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC".to_string(),
    ]
}

/// Run by the superuser in the benchmark database: the `public` schema
/// belongs to the stacks' role (PostgreSQL before 15 gives it to the
/// bootstrap superuser with CREATE for everyone).
pub fn schema_statements() -> String {
    format!("ALTER SCHEMA public OWNER TO {STACK_ROLE}; REVOKE ALL ON SCHEMA public FROM PUBLIC")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn passwords_are_long_url_safe_distinct_and_not_debug_printed() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), LEN);
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn the_password_file_is_0600_from_the_start_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PWFILE);
        std::fs::write(&path, "old").unwrap();
        let s = Secret::generate();
        write_pwfile(&path, &s, None).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{}\n", s.expose())
        );
    }

    #[test]
    fn the_role_gets_a_verifier_not_the_password() {
        let s = Secret::generate();
        let sql = setup_statements("ringside", &s).join(";");
        assert!(!sql.contains(s.expose()), "{sql}");
        assert!(
            sql.contains("NOSUPERUSER") && sql.contains("SCRAM-SHA-256$"),
            "{sql}"
        );
        assert!(sql.contains("OWNER ringside_stack"), "{sql}");
    }
}
