//! `stack.toml` parsing and validation (`spec/stack-manifest.md`): serde reads
//! the raw shape, [`validate`] turns it into a [`Stack`] or a [`ManifestError`]
//! naming the file, the key and the bad value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{InstallSpec, RuntimeCheck, Stack};
use crate::scenario::Scenario;

/// Languages a manifest may declare.
pub const LANGUAGES: [&str; 4] = ["javascript", "python", "rust", "other"];
/// Placeholders a start command may use.
pub const PLACEHOLDERS: [&str; 2] = ["port", "workers"];
/// Default `start.ready_timeout_s`.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `start.max_workers`.
pub const DEFAULT_MAX_WORKERS: u32 = 64;

/// A manifest that cannot be used. Every message starts with the file and
/// names the key and the offending value.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{file}: cannot read")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: key '{key}': missing")]
    Missing { file: String, key: String },
    #[error(
        "{file}: key '{key}': unknown placeholder '{{{value}}}' (known: {{port}}, {{workers}})"
    )]
    Placeholder {
        file: String,
        key: String,
        value: String,
    },
    #[error("{file}: key '{key}': unknown scenario '{value}' (known: {known})", known = endpoint_names())]
    Scenario {
        file: String,
        key: String,
        value: String,
    },
    #[error("{file}: key '{key}': scenario '{value}' applies to every stack and is not listed (endpoint scenarios: {known})", known = endpoint_names())]
    NotEndpoint {
        file: String,
        key: String,
        value: String,
    },
    #[error("{file}: key '{key}': bad name '{value}' (use lowercase letters, digits and '-')")]
    Name {
        file: String,
        key: String,
        value: String,
    },
    #[error("{file}: key '{key}': empty command")]
    EmptyCommand { file: String, key: String },
    #[error(
        "{file}: key '{key}': unknown language '{value}' (known: javascript, python, rust, other)"
    )]
    Language {
        file: String,
        key: String,
        value: String,
    },
    #[error("{file}: key '{key}': bad value '{value}': {reason}")]
    Invalid {
        file: String,
        key: String,
        value: String,
        reason: String,
    },
    #[error("{file}: key 'name': stack '{value}' is also defined by {other}")]
    Duplicate {
        file: String,
        value: String,
        other: String,
    },
}

fn endpoint_names() -> String {
    Scenario::ALL
        .into_iter()
        .filter(|s| s.is_endpoint())
        .map(Scenario::name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: Option<String>,
    language: Option<String>,
    framework: Option<String>,
    #[serde(default)]
    description: String,
    json: Option<String>,
    runtime: Option<RawRuntime>,
    #[serde(default)]
    install: RawInstall,
    start: Option<RawStart>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    scenarios: Option<Vec<String>>,
    #[serde(default)]
    unsupported: BTreeMap<String, String>,
    #[serde(default)]
    databases: BTreeMap<String, String>,
    footprint: Option<RawFootprint>,
    default_run: Option<bool>,
    #[serde(default)]
    variants: BTreeMap<String, RawVariant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntime {
    name: Option<String>,
    command: Option<Vec<String>>,
    min_version: Option<String>,
    version_command: Option<Vec<String>>,
    managed: Option<bool>,
    free_threaded: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstall {
    #[serde(default)]
    lockfiles: Vec<String>,
    #[serde(default)]
    commands: Vec<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStart {
    command: Option<Vec<String>>,
    max_workers: Option<i64>,
    ready_timeout_s: Option<f64>,
    keep_alive: Option<bool>,
    threads: Option<i64>,
    protocol: Option<String>,
    streams: Option<i64>,
    #[serde(default, rename = "override")]
    overrides: BTreeMap<String, RawOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOverride {
    command: Option<Vec<String>>,
}

/// `[variants.NAME]`: what a deployment variant changes; everything else is
/// the default deployment's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVariant {
    pub description: Option<String>,
    pub framework: Option<String>,
    /// Replaces `json`.
    pub json: Option<String>,
    /// Replaces `runtime.min_version` (a deployment that needs a newer runtime).
    pub min_version: Option<String>,
    /// Replaces `start.command`.
    pub command: Option<Vec<String>>,
    pub max_workers: Option<i64>,
    pub ready_timeout_s: Option<f64>,
    pub keep_alive: Option<bool>,
    pub threads: Option<i64>,
    /// Replaces `start.protocol`.
    pub protocol: Option<String>,
    /// Replaces `start.streams`.
    pub streams: Option<i64>,
    /// Replaces `scenarios`.
    pub scenarios: Option<Vec<String>>,
    /// Added to (and over) `[env]`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Added to (and over) `[unsupported]`.
    #[serde(default)]
    pub unsupported: BTreeMap<String, String>,
    /// Added to (and over) `[databases]`.
    #[serde(default)]
    pub databases: BTreeMap<String, String>,
    /// `[variants.NAME.override.SCENARIO]`: replaces that scenario's start override.
    #[serde(default, rename = "override")]
    pub overrides: BTreeMap<String, RawOverride>,
    /// Scenarios whose `[start.override]` the variant does not use.
    #[serde(default)]
    pub drop_overrides: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFootprint {
    source: Option<Vec<String>>,
}

/// Reads and validates one manifest. Errors are [`ManifestError`]s.
pub fn parse_file(path: &Path) -> Result<Stack, ManifestError> {
    let file = path.display().to_string();
    let text = crate::input::read_text(path, "a stack manifest", crate::input::MANIFEST_MAX_BYTES)
        .map_err(|source| ManifestError::Read {
            file: file.clone(),
            source,
        })?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    parse_str(&text, &file, &dir, path)
}

/// Parses manifest text; `file` is the name used in messages, `dir` the stack folder.
pub fn parse_str(text: &str, file: &str, dir: &Path, path: &Path) -> Result<Stack, ManifestError> {
    let raw: RawManifest = toml::from_str(text).map_err(|e| ManifestError::Syntax {
        file: file.to_string(),
        message: crate::input::toml_error(text, &e),
    })?;
    validate(raw, file, dir, path)
}

fn validate(raw: RawManifest, file: &str, dir: &Path, path: &Path) -> Result<Stack, ManifestError> {
    let f = || file.to_string();
    let missing = |key: &str| ManifestError::Missing {
        file: f(),
        key: key.into(),
    };

    let name = raw.name.ok_or_else(|| missing("name"))?;
    if !valid_name(&name) {
        return Err(ManifestError::Name {
            file: f(),
            key: "name".into(),
            value: name,
        });
    }
    let language = raw.language.ok_or_else(|| missing("language"))?;
    if !LANGUAGES.contains(&language.as_str()) {
        return Err(ManifestError::Language {
            file: f(),
            key: "language".into(),
            value: language,
        });
    }
    let framework = raw.framework.ok_or_else(|| missing("framework"))?;

    let mut runtime_name = default_runtime(&language).to_string();
    let mut free_threaded_variant = None;
    let runtime = match raw.runtime {
        None => None,
        Some(rt) => {
            if let Some(n) = rt.name {
                if !valid_name(&n) {
                    return Err(ManifestError::Name {
                        file: f(),
                        key: "runtime.name".into(),
                        value: n,
                    });
                }
                runtime_name = n;
            }
            let command = rt.command.ok_or_else(|| missing("runtime.command"))?;
            check_command(&command, file, "runtime.command", false)?;
            if let Some(v) = &rt.version_command {
                check_command(v, file, "runtime.version_command", false)?;
            }
            if let Some(v) = &rt.min_version
                && super::runtime::parse_version(v).is_none()
            {
                return Err(ManifestError::Invalid {
                    file: f(),
                    key: "runtime.min_version".into(),
                    value: v.clone(),
                    reason: "expected a dotted version such as 18.0".into(),
                });
            }
            let managed = rt.managed.unwrap_or(false);
            if managed && runtime_name != "node" {
                return Err(ManifestError::Invalid {
                    file: f(),
                    key: "runtime.managed".into(),
                    value: "true".into(),
                    reason: format!(
                        "ringside installs only Node.js (runtime `node`), not `{runtime_name}`"
                    ),
                });
            }
            free_threaded_variant = rt.free_threaded;
            Some(RuntimeCheck {
                command,
                min_version: rt.min_version,
                version_command: rt.version_command,
                managed,
            })
        }
    };

    for (i, cmd) in raw.install.commands.iter().enumerate() {
        check_command(cmd, file, &format!("install.commands[{i}]"), false)?;
    }

    let start = raw.start.ok_or_else(|| missing("start.command"))?;
    let start_cmd = start.command.ok_or_else(|| missing("start.command"))?;
    check_command(&start_cmd, file, "start.command", true)?;
    let max_workers =
        max_workers(start.max_workers, file, "start.max_workers")?.unwrap_or(DEFAULT_MAX_WORKERS);
    let ready_timeout = ready_timeout(start.ready_timeout_s, file, "start.ready_timeout_s")?
        .unwrap_or(DEFAULT_READY_TIMEOUT);
    let threads = self::max_workers(start.threads, file, "start.threads")?.unwrap_or(1);
    let (protocol, streams) = protocol(
        (super::Protocol::Http1, 1),
        start.protocol,
        start.streams,
        file,
        "start",
    )?;
    let start_override = overrides(start.overrides, file, "start.override")?;

    let listed = raw.scenarios.ok_or_else(|| missing("scenarios"))?;
    let scenarios = scenario_list(&listed, file, "scenarios")?;
    check_unsupported(&raw.unsupported, file, "unsupported")?;
    for db in raw.databases.keys() {
        if db != "sqlite" && db != "postgres" {
            return Err(ManifestError::Invalid {
                file: f(),
                key: format!("databases.{db}"),
                value: db.clone(),
                reason: "unknown database (known: sqlite, postgres)".into(),
            });
        }
    }
    check_env(&raw.env, file, "env")?;
    check_protocol_scenarios(protocol, &scenarios, &raw.unsupported, file, "")?;
    let footprint_source = match raw.footprint {
        None => None,
        Some(fp) => Some(fp.source.ok_or_else(|| missing("footprint.source"))?),
    };

    let base = Stack {
        base: name.clone(),
        variant: None,
        runtime_name,
        default_run: raw.default_run.unwrap_or(true),
        keep_alive: start.keep_alive.unwrap_or(true),
        threads,
        worker_threads: false,
        protocol,
        streams,
        variants: Vec::new(),
        name,
        language,
        framework,
        description: raw.description,
        json: raw.json.unwrap_or_default(),
        dir: dir.to_path_buf(),
        scenarios,
        unsupported: raw.unsupported,
        databases: raw.databases,
        start: start_cmd,
        start_override,
        env: raw.env,
        ready_timeout,
        max_workers,
        manifest: path.to_path_buf(),
        runtime,
        install: InstallSpec {
            lockfiles: raw.install.lockfiles,
            commands: raw.install.commands,
            interpreter: None,
        },
        footprint_source,
        free_threaded_variant: None,
        binding: None,
        runtime_label: None,
    };
    let mut variants = Vec::new();
    for (vname, raw_variant) in raw.variants {
        variants.push(super::variants::apply(&base, &vname, raw_variant, file)?);
    }
    if let Some(v) = &free_threaded_variant
        && !variants.iter().any(|x| x.variant.as_deref() == Some(v))
    {
        return Err(ManifestError::Invalid {
            file: f(),
            key: "runtime.free_threaded".into(),
            value: v.clone(),
            reason: "no [variants] table of that name".into(),
        });
    }
    Ok(Stack {
        variants,
        free_threaded_variant,
        ..base
    })
}

/// Most `streams` a manifest may ask for (HTTP/2 servers commonly allow 100
/// to 250 concurrent streams a connection).
pub const MAX_STREAMS: i64 = 1000;

/// `PREFIX.protocol` and `PREFIX.streams` over `current` (the default
/// deployment's, for a variant): a known protocol, and streams in
/// 1..=[`MAX_STREAMS`], more than one only over HTTP/2.
pub(super) fn protocol(
    current: (super::Protocol, u32),
    raw_protocol: Option<String>,
    raw_streams: Option<i64>,
    file: &str,
    prefix: &str,
) -> Result<(super::Protocol, u32), ManifestError> {
    let (mut protocol, mut streams) = current;
    if let Some(p) = raw_protocol {
        protocol = super::Protocol::parse(&p).ok_or_else(|| ManifestError::Invalid {
            file: file.into(),
            key: format!("{prefix}.protocol"),
            value: p.clone(),
            reason: format!(
                "unknown protocol (known: {})",
                super::Protocol::NAMES.join(", ")
            ),
        })?;
        if !protocol.is_http2() {
            streams = 1;
        }
    }
    if let Some(n) = raw_streams {
        if !(1..=MAX_STREAMS).contains(&n) {
            return Err(ManifestError::Invalid {
                file: file.into(),
                key: format!("{prefix}.streams"),
                value: n.to_string(),
                reason: format!("must be between 1 and {MAX_STREAMS}"),
            });
        }
        if n > 1 && !protocol.is_http2() {
            return Err(ManifestError::Invalid {
                file: file.into(),
                key: format!("{prefix}.streams"),
                value: n.to_string(),
                reason: "several streams a connection need protocol = \"h2c\" or \"h2\" (HTTP/1.1 carries one request at a time)".into(),
            });
        }
        streams = n as u32;
    }
    Ok((protocol, streams))
}

/// An HTTP/2 deployment cannot serve ws-chat (ringside's WebSocket client
/// speaks RFC 6455 over HTTP/1.1, not RFC 8441 over HTTP/2): the manifest
/// must say so with `unsupported.ws-chat`, or leave it out of `scenarios`.
pub(super) fn check_protocol_scenarios(
    protocol: super::Protocol,
    scenarios: &[Scenario],
    unsupported: &BTreeMap<String, String>,
    file: &str,
    prefix: &str,
) -> Result<(), ManifestError> {
    if protocol.is_http2()
        && scenarios.contains(&Scenario::WsChat)
        && !unsupported.contains_key(Scenario::WsChat.name())
    {
        return Err(ManifestError::Invalid {
            file: file.into(),
            key: format!("{prefix}scenarios"),
            value: "ws-chat".into(),
            reason: format!(
                "an {} deployment cannot serve ws-chat (WebSockets here are HTTP/1.1 upgrades): \
                 add {prefix}unsupported.ws-chat = \"why\" or leave ws-chat out",
                protocol.name()
            ),
        });
    }
    Ok(())
}

/// The runtime a language runs on unless `[runtime] name` says otherwise.
pub fn default_runtime(language: &str) -> &'static str {
    match language {
        "javascript" => "node",
        "python" => "cpython",
        "rust" => "rust",
        _ => "other",
    }
}

pub(super) fn max_workers(
    value: Option<i64>,
    file: &str,
    key: &str,
) -> Result<Option<u32>, ManifestError> {
    match value {
        None => Ok(None),
        Some(n) if (1..=4096).contains(&n) => Ok(Some(n as u32)),
        Some(n) => Err(ManifestError::Invalid {
            file: file.into(),
            key: key.into(),
            value: n.to_string(),
            reason: "must be between 1 and 4096".into(),
        }),
    }
}

pub(super) fn ready_timeout(
    value: Option<f64>,
    file: &str,
    key: &str,
) -> Result<Option<Duration>, ManifestError> {
    match value {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Ok(Some(Duration::from_secs_f64(s))),
        Some(s) => Err(ManifestError::Invalid {
            file: file.into(),
            key: key.into(),
            value: s.to_string(),
            reason: "must be a number of seconds in (0, 3600]".into(),
        }),
    }
}

/// `[PREFIX.SCENARIO] command = [...]` tables, validated.
pub(super) fn overrides(
    raw: BTreeMap<String, RawOverride>,
    file: &str,
    prefix: &str,
) -> Result<BTreeMap<Scenario, Vec<String>>, ManifestError> {
    let mut out = BTreeMap::new();
    for (scen, ov) in raw {
        let key = format!("{prefix}.{scen}");
        let scenario = endpoint_scenario(&scen, file, &key)?;
        let key = format!("{key}.command");
        let cmd = ov.command.ok_or_else(|| ManifestError::Missing {
            file: file.into(),
            key: key.clone(),
        })?;
        check_command(&cmd, file, &key, true)?;
        out.insert(scenario, cmd);
    }
    Ok(out)
}

pub(super) fn scenario_list(
    listed: &[String],
    file: &str,
    key: &str,
) -> Result<Vec<Scenario>, ManifestError> {
    let mut scenarios = Vec::new();
    for s in listed {
        let sc = endpoint_scenario(s, file, key)?;
        if !scenarios.contains(&sc) {
            scenarios.push(sc);
        }
    }
    Ok(scenarios)
}

pub(super) fn check_unsupported(
    unsupported: &BTreeMap<String, String>,
    file: &str,
    prefix: &str,
) -> Result<(), ManifestError> {
    for s in unsupported.keys() {
        if s.parse::<Scenario>().is_err() {
            return Err(ManifestError::Scenario {
                file: file.into(),
                key: format!("{prefix}.{s}"),
                value: s.clone(),
            });
        }
    }
    Ok(())
}

pub(super) fn check_env(
    env: &BTreeMap<String, String>,
    file: &str,
    prefix: &str,
) -> Result<(), ManifestError> {
    for k in env.keys() {
        if k.is_empty() || k.contains('=') || k.contains('\0') {
            return Err(ManifestError::Invalid {
                file: file.into(),
                key: format!("{prefix}.{k}"),
                value: k.clone(),
                reason: "not a valid environment variable name".into(),
            });
        }
    }
    Ok(())
}

/// `[a-z0-9-]+`, not starting or ending with '-'.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

pub(super) fn endpoint_scenario(s: &str, file: &str, key: &str) -> Result<Scenario, ManifestError> {
    match s.parse::<Scenario>() {
        Ok(sc) if sc.is_endpoint() => Ok(sc),
        Ok(_) => Err(ManifestError::NotEndpoint {
            file: file.into(),
            key: key.into(),
            value: s.into(),
        }),
        Err(_) => Err(ManifestError::Scenario {
            file: file.into(),
            key: key.into(),
            value: s.into(),
        }),
    }
}

pub(super) fn check_command(
    argv: &[String],
    file: &str,
    key: &str,
    placeholders: bool,
) -> Result<(), ManifestError> {
    if argv.first().is_none_or(|a| a.trim().is_empty()) {
        return Err(ManifestError::EmptyCommand {
            file: file.into(),
            key: key.into(),
        });
    }
    if placeholders {
        for arg in argv {
            for p in placeholders_in(arg) {
                if !PLACEHOLDERS.contains(&p) {
                    return Err(ManifestError::Placeholder {
                        file: file.into(),
                        key: key.into(),
                        value: p.into(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The `NAME`s of every `{NAME}` in `arg`.
fn placeholders_in(arg: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// Replaces `{port}` and `{workers}` in every argument.
pub fn substitute(argv: &[String], port: u16, workers: u32) -> Vec<String> {
    argv.iter()
        .map(|a| {
            a.replace("{port}", &port.to_string())
                .replace("{workers}", &workers.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "node-express"
language = "javascript"
framework = "Express 4.21"
scenarios = ["plaintext", "json", "ws-chat"]
[runtime]
command = ["node", "--version"]
min_version = "18.0"
[start]
command = ["node", "server.js", "--port", "{port}", "--workers", "{workers}"]
ready_timeout_s = 5
[start.override.ws-chat]
command = ["node", "ws.js", "{port}"]
[env]
NODE_ENV = "production"
[unsupported]
db = "no driver"
"#;

    fn parse(text: &str) -> Result<Stack, ManifestError> {
        let p = Path::new("stacks/x/stack.toml");
        parse_str(text, "stacks/x/stack.toml", Path::new("stacks/x"), p)
    }

    #[test]
    fn good_manifest_parses() {
        let s = parse(GOOD).unwrap();
        assert_eq!(s.name, "node-express");
        assert_eq!(s.ready_timeout, Duration::from_secs(5));
        assert_eq!(s.max_workers, DEFAULT_MAX_WORKERS);
        assert_eq!(s.scenarios.len(), 3);
        assert!(s.start_override.contains_key(&Scenario::WsChat));
    }

    #[test]
    fn placeholder_typo_names_file_key_and_value() {
        let err = parse(&GOOD.replace("\"{port}\", \"--workers\"", "\"{prot}\", \"--workers\""))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "stacks/x/stack.toml: key 'start.command': unknown placeholder '{prot}' (known: {port}, {workers})"
        );
    }

    #[test]
    fn substitute_replaces_both() {
        let argv = vec!["--bind=127.0.0.1:{port}".to_string(), "-w{workers}".into()];
        assert_eq!(substitute(&argv, 80, 2), ["--bind=127.0.0.1:80", "-w2"]);
    }

    #[test]
    fn names() {
        assert!(valid_name("node-express"));
        assert!(!valid_name("Node"));
        assert!(!valid_name("-x"));
        assert!(!valid_name(""));
    }
}
