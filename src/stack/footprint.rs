//! The `footprint` of a stack — installed dependencies (count and bytes on
//! disk) and its own source (files and non-blank lines) — and the versions of
//! its direct dependencies. Dependencies are recognised by what the install
//! left behind: `node_modules` + `package-lock.json`, a `.venv`, a
//! `Cargo.lock` + `target/release`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Stack;
use crate::results::Footprint;

/// Folders never counted as the stack's own source.
const DEP_DIRS: [&str; 8] = [
    "node_modules",
    ".venv",
    "venv",
    "target",
    "__pycache__",
    ".git",
    ".pytest_cache",
    "dist",
];
/// Files never counted as the stack's own source.
const LOCKFILES: [&str; 8] = [
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Cargo.lock",
    "poetry.lock",
    "uv.lock",
    "stack.toml",
];

/// Dependency count, install size and lines of the stack's own source.
pub fn footprint(stack: &Stack) -> anyhow::Result<Footprint> {
    let dir = &stack.dir;
    let mut fp = Footprint::default();

    let lock = dir.join("package-lock.json");
    if lock.is_file() {
        let json = read_json(&lock)?;
        fp.dependencies += json
            .get("packages")
            .and_then(|p| p.as_object())
            .map(|p| p.keys().filter(|k| k.contains("node_modules/")).count())
            .unwrap_or(0) as u32;
        fp.install_bytes += dir_bytes(&dir.join("node_modules"));
    }
    let venv = dir.join(".venv");
    if venv.is_dir() {
        fp.dependencies += dist_infos(&venv)
            .iter()
            .filter(|(name, _)| !is_venv_tooling(name))
            .count() as u32;
        fp.install_bytes += dir_bytes(&venv);
    }
    let cargo_lock = dir.join("Cargo.lock");
    if cargo_lock.is_file() {
        let packages = cargo_lock_packages(&cargo_lock)?;
        fp.dependencies += packages.iter().filter(|p| p.2).count() as u32;
        if let Some(bin) = cargo_binary(dir) {
            fp.install_bytes += std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0);
        }
    }

    for file in source_files(stack) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        if bytes.contains(&0) {
            continue; // binary
        }
        fp.source_files += 1;
        fp.source_lines += String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count() as u32;
    }
    Ok(fp)
}

/// Direct dependencies and their installed versions: npm (`package-lock.json`
/// root dependencies), Python (the venv's distributions, minus pip/setuptools),
/// Rust (`Cargo.toml` dependencies resolved in `Cargo.lock`).
pub fn packages(stack: &Stack) -> BTreeMap<String, String> {
    let dir = &stack.dir;
    let mut out = BTreeMap::new();
    if let Ok(json) = read_json(&dir.join("package-lock.json")) {
        let pkgs = json.get("packages").and_then(|p| p.as_object());
        let root = pkgs.and_then(|p| p.get("")).cloned().unwrap_or_default();
        for key in ["dependencies", "optionalDependencies"] {
            for name in root
                .get(key)
                .and_then(|d| d.as_object())
                .into_iter()
                .flat_map(|d| d.keys())
            {
                let version = pkgs
                    .and_then(|p| p.get(&format!("node_modules/{name}")))
                    .and_then(|p| p.get("version"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("?");
                out.insert(name.clone(), version.to_string());
            }
        }
    }
    let venv = dir.join(".venv");
    if venv.is_dir() {
        for (name, version) in dist_infos(&venv) {
            if !is_venv_tooling(&name) {
                out.insert(name, version);
            }
        }
    }
    if let (Ok(lock), Ok(manifest)) = (
        cargo_lock_packages(&dir.join("Cargo.lock")),
        std::fs::read_to_string(dir.join("Cargo.toml")),
    ) && let Ok(manifest) = manifest.parse::<toml::Table>()
    {
        let deps = manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .cloned()
            .unwrap_or_default();
        for (key, spec) in deps {
            let name = spec
                .get("package")
                .and_then(|p| p.as_str())
                .unwrap_or(&key)
                .to_string();
            if let Some((_, v, _)) = lock.iter().find(|(n, _, _)| *n == name) {
                out.insert(name, v.clone());
            }
        }
    }
    out
}

fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn is_venv_tooling(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "pip" | "setuptools" | "wheel" | "distribute"
    )
}

/// `(name, version)` of every `*.dist-info` in the venv's site-packages.
fn dist_infos(venv: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for lib in ["lib", "lib64"] {
        let Ok(pythons) = std::fs::read_dir(venv.join(lib)) else {
            continue;
        };
        for py in pythons.filter_map(|e| e.ok()) {
            if !py.file_name().to_string_lossy().starts_with("python") {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(py.path().join("site-packages")) else {
                continue;
            };
            for e in entries.filter_map(|e| e.ok()) {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(stem) = name.strip_suffix(".dist-info")
                    && let Some((n, v)) = stem.rsplit_once('-')
                {
                    out.push((n.to_string(), v.to_string()));
                }
            }
        }
        // lib64 is usually a symlink to lib.
        if !out.is_empty() {
            break;
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `(name, version, from_a_registry)` of every `[[package]]` of a Cargo.lock;
/// local packages (the stack itself) have no `source`.
fn cargo_lock_packages(path: &Path) -> anyhow::Result<Vec<(String, String, bool)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("parsing {}", path.display()))?;
    Ok(table
        .get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p.get("name")?.as_str()?.to_string(),
                p.get("version")?.as_str()?.to_string(),
                p.get("source").is_some(),
            ))
        })
        .collect())
}

/// `target/release/NAME` for the `[package] name` (or first `[[bin]]`) of Cargo.toml.
fn cargo_binary(dir: &Path) -> Option<PathBuf> {
    let manifest: toml::Table = std::fs::read_to_string(dir.join("Cargo.toml"))
        .ok()?
        .parse()
        .ok()?;
    let bin_name = manifest
        .get("bin")
        .and_then(|b| b.as_array())
        .and_then(|b| b.first())
        .and_then(|b| b.get("name"))
        .and_then(|n| n.as_str());
    let name = bin_name.or_else(|| manifest.get("package")?.get("name")?.as_str())?;
    let bin = dir.join("target/release").join(name);
    bin.is_file().then_some(bin)
}

/// Files of the stack's own source: `[footprint] source` (a folder counts
/// all its files), else every file except dependency folders, lockfiles,
/// hidden files and the manifest.
fn source_files(stack: &Stack) -> Vec<PathBuf> {
    let mut out = Vec::new();
    match &stack.footprint_source {
        Some(list) => {
            for rel in list {
                let p = stack.dir.join(rel);
                if p.is_dir() {
                    walk(&p, &stack.install.lockfiles, &mut out);
                } else if p.is_file() {
                    out.push(p);
                }
            }
        }
        None => walk(&stack.dir, &stack.install.lockfiles, &mut out),
    }
    out.sort();
    out.dedup();
    out
}

fn walk(dir: &Path, lockfiles: &[String], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(ft) = e.file_type() else { continue };
        if name.starts_with('.') {
            continue;
        }
        if ft.is_dir() {
            if !DEP_DIRS.contains(&name.as_str()) {
                walk(&e.path(), lockfiles, out);
            }
        } else if ft.is_file()
            && !LOCKFILES.contains(&name.as_str())
            && !lockfiles
                .iter()
                .any(|l| Path::new(l).file_name() == Some(e.file_name().as_os_str()))
        {
            out.push(e.path());
        }
    }
}

/// Bytes on disk of every file under `dir` (symlinks not followed).
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut total = 0;
    for e in entries.filter_map(|e| e.ok()) {
        let Ok(meta) = e.path().symlink_metadata() else {
            continue;
        };
        if meta.is_dir() {
            total += dir_bytes(&e.path());
        } else if meta.is_file() {
            total += meta.len();
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_footprint_and_packages() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("package-lock.json"),
            r#"{"packages": {
                "": {"dependencies": {"express": "^4.21.0"}},
                "node_modules/express": {"version": "4.21.2"},
                "node_modules/accepts": {"version": "1.3.8"},
                "node_modules/express/node_modules/debug": {"version": "2.6.9"}
            }}"#,
        )
        .unwrap();
        std::fs::write(d.join("package.json"), "{\"name\": \"x\"}\n").unwrap();
        std::fs::create_dir_all(d.join("node_modules/express")).unwrap();
        std::fs::write(d.join("node_modules/express/index.js"), "x".repeat(1000)).unwrap();
        std::fs::write(d.join("server.js"), "const a = 1;\n\n  \nconsole.log(a);\n").unwrap();
        std::fs::write(d.join("stack.toml"), "name = \"x\"\n").unwrap();
        let stack = Stack {
            dir: d.to_path_buf(),
            install: super::super::InstallSpec {
                lockfiles: vec!["package.json".into(), "package-lock.json".into()],
                commands: vec![],
                ..Default::default()
            },
            ..Default::default()
        };
        let fp = footprint(&stack).unwrap();
        assert_eq!(fp.dependencies, 3);
        assert_eq!(fp.install_bytes, 1000);
        // server.js only: package.json is one of the install lockfiles.
        assert_eq!(fp.source_files, 1);
        assert_eq!(fp.source_lines, 2);
        let pk = packages(&stack);
        assert_eq!(pk.get("express").map(String::as_str), Some("4.21.2"));
        assert_eq!(pk.len(), 1);

        let only_server = Stack {
            footprint_source: Some(vec!["server.js".into()]),
            ..stack
        };
        let fp = footprint(&only_server).unwrap();
        assert_eq!((fp.source_files, fp.source_lines), (1, 2));
    }

    #[test]
    fn python_venv_counts_dist_infos() {
        let dir = tempfile::tempdir().unwrap();
        let sp = dir.path().join(".venv/lib/python3.11/site-packages");
        for d in [
            "flask-3.1.0.dist-info",
            "pip-24.0.dist-info",
            "Werkzeug-3.1.3.dist-info",
            "flask",
        ] {
            std::fs::create_dir_all(sp.join(d)).unwrap();
        }
        std::fs::write(sp.join("flask/app.py"), "y".repeat(500)).unwrap();
        std::fs::write(dir.path().join("app.py"), "import flask\n").unwrap();
        let stack = Stack {
            dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        let fp = footprint(&stack).unwrap();
        assert_eq!(fp.dependencies, 2);
        assert_eq!(fp.install_bytes, 500);
        assert_eq!((fp.source_files, fp.source_lines), (1, 1));
        let pk = packages(&stack);
        assert_eq!(pk["flask"], "3.1.0");
        assert_eq!(pk["Werkzeug"], "3.1.3");
        assert!(!pk.contains_key("pip"));
    }

    #[test]
    fn rust_counts_registry_packages() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("Cargo.toml"),
            "[package]\nname = \"srv\"\n[dependencies]\naxum = \"0.8\"\n",
        )
        .unwrap();
        std::fs::write(
            d.join("Cargo.lock"),
            "version = 4\n[[package]]\nname = \"srv\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"axum\"\nversion = \"0.8.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"tokio\"\nversion = \"1.44.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(d.join("target/release")).unwrap();
        std::fs::write(d.join("target/release/srv"), vec![1u8; 4096]).unwrap();
        let stack = Stack {
            dir: d.to_path_buf(),
            ..Default::default()
        };
        let fp = footprint(&stack).unwrap();
        assert_eq!(fp.dependencies, 2);
        assert_eq!(fp.install_bytes, 4096);
        let pk = packages(&stack);
        assert_eq!(pk.len(), 1);
        assert_eq!(pk["axum"], "0.8.1");
    }
}
