//! The throwaway certificate of an HTTP/2-over-TLS deployment
//! (`[start] protocol = "h2"`): a self-signed certificate and its key, made
//! with rcgen at launch for `localhost` and `127.0.0.1`, written as PEM into
//! a fresh private folder (mode 0700, the key 0600) and handed to the server through
//! [`CERT_ENV`] and [`KEY_ENV`]. The folder is removed when the launch ends
//! (the [`ThrowawayCert`] is dropped, or the launch's cleanup guard runs on
//! a signal), so no key outlives the run. The harness's own clients accept
//! exactly this certificate only because they just made it: they connect to
//! the server they launched on loopback (`--insecure` for that target only).

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Environment variable carrying the certificate's PEM file path.
pub const CERT_ENV: &str = "TLS_CERT";
/// Environment variable carrying the private key's PEM file path.
pub const KEY_ENV: &str = "TLS_KEY";

/// A self-signed certificate and key on disk, removed on drop.
#[derive(Debug)]
pub struct ThrowawayCert {
    dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    der: Vec<u8>,
}

impl ThrowawayCert {
    /// Makes one in a new folder under the system's temporary directory.
    pub fn create() -> anyhow::Result<ThrowawayCert> {
        ThrowawayCert::create_in(&std::env::temp_dir())
    }

    /// Makes one in a new folder under `parent`.
    pub fn create_in(parent: &Path) -> anyhow::Result<ThrowawayCert> {
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let made = rcgen::generate_simple_self_signed(names)
            .context("making the throwaway TLS certificate")?;
        let dir = tempfile::Builder::new()
            .prefix("ringside-tls-")
            .tempdir_in(parent)
            .with_context(|| {
                format!(
                    "creating a folder for the TLS certificate in {}",
                    parent.display()
                )
            })?;
        // Only this user may read the key (the folder first, then the file).
        use std::os::unix::fs::PermissionsExt;
        let private = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("making {} private", path.display()))
        };
        private(dir.path(), 0o700)?;
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, made.cert.pem())
            .with_context(|| format!("writing {}", cert.display()))?;
        std::fs::write(&key, "").with_context(|| format!("writing {}", key.display()))?;
        private(&key, 0o600)?;
        std::fs::write(&key, made.signing_key.serialize_pem())
            .with_context(|| format!("writing {}", key.display()))?;
        Ok(ThrowawayCert {
            dir,
            cert,
            key,
            der: made.cert.der().to_vec(),
        })
    }

    /// The folder holding both files (removed on drop).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
    pub fn cert_path(&self) -> &Path {
        &self.cert
    }
    pub fn key_path(&self) -> &Path {
        &self.key
    }
    /// The certificate, DER-encoded (what the server must present).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// `TLS_CERT` and `TLS_KEY` for the server's environment.
    pub fn env(&self) -> [(String, String); 2] {
        [
            (CERT_ENV.into(), self.cert.display().to_string()),
            (KEY_ENV.into(), self.key.display().to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_made_private_and_removed_on_drop() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let cert = ThrowawayCert::create_in(parent.path()).unwrap();
        let dir = cert.dir().to_path_buf();
        let pem = std::fs::read_to_string(cert.cert_path()).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        let key = std::fs::read_to_string(cert.key_path()).unwrap();
        assert!(key.contains("PRIVATE KEY-----"), "{key}");
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the key's folder is private");
        let mode = std::fs::metadata(cert.key_path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the key is private");
        let env = cert.env();
        assert_eq!(
            env[0],
            (CERT_ENV.into(), cert.cert_path().display().to_string())
        );
        assert_eq!(
            env[1],
            (KEY_ENV.into(), cert.key_path().display().to_string())
        );
        assert!(!cert.der().is_empty());
        // Two launches get two different certificates.
        let other = ThrowawayCert::create_in(parent.path()).unwrap();
        assert_ne!(other.der(), cert.der());
        drop(cert);
        assert!(!dir.exists(), "{} outlived its certificate", dir.display());
    }
}
