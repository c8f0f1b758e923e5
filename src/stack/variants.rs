//! Deployment variants (`[variants.NAME]` in a manifest) and choosing stacks
//! by name: `python-flask` is the default deployment, `python-flask@sync` a
//! variant. A variant is a [`Stack`] of its own named `base@variant`, so the
//! whole pipeline (install, launch, verify, measure, results) treats it as a
//! stack; it shares the base's folder and install.

use super::Stack;
use super::manifest::{self, ManifestError, RawVariant};

/// Separates a stack's name from its variant's: `python-flask@sync`.
pub const SEPARATOR: char = '@';

/// The variant `vname` of `base`, from its `[variants.NAME]` table.
pub(super) fn apply(
    base: &Stack,
    vname: &str,
    raw: RawVariant,
    file: &str,
) -> Result<Stack, ManifestError> {
    let prefix = format!("variants.{vname}");
    if !manifest::valid_name(vname) {
        return Err(ManifestError::Name {
            file: file.into(),
            key: prefix,
            value: vname.into(),
        });
    }
    let key = |k: &str| format!("{prefix}.{k}");
    let mut v = base.clone();
    v.name = format!("{}{SEPARATOR}{vname}", base.name);
    v.variant = Some(vname.to_string());
    v.default_run = false;
    if let Some(d) = raw.description {
        v.description = d;
    }
    if let Some(fw) = raw.framework {
        v.framework = fw;
    }
    if let Some(cmd) = raw.command {
        manifest::check_command(&cmd, file, &key("command"), true)?;
        v.start = cmd;
    }
    if let Some(n) = manifest::max_workers(raw.max_workers, file, &key("max_workers"))? {
        v.max_workers = n;
    }
    if let Some(t) = manifest::ready_timeout(raw.ready_timeout_s, file, &key("ready_timeout_s"))? {
        v.ready_timeout = t;
    }
    if let Some(k) = raw.keep_alive {
        v.keep_alive = k;
    }
    if let Some(n) = manifest::max_workers(raw.threads, file, &key("threads"))? {
        v.threads = n;
    }
    if let Some(list) = raw.scenarios {
        v.scenarios = manifest::scenario_list(&list, file, &key("scenarios"))?;
    }
    manifest::check_env(&raw.env, file, &key("env"))?;
    v.env.extend(raw.env);
    manifest::check_unsupported(&raw.unsupported, file, &key("unsupported"))?;
    v.unsupported.extend(raw.unsupported);
    v.databases.extend(raw.databases);
    for scen in &raw.drop_overrides {
        let sc = manifest::endpoint_scenario(scen, file, &key("drop_overrides"))?;
        v.start_override.remove(&sc);
    }
    v.start_override
        .extend(manifest::overrides(raw.overrides, file, &key("override"))?);
    Ok(v)
}

/// Every deployment: each stack followed by its variants.
pub fn deployments(stacks: &[Stack]) -> Vec<Stack> {
    let mut out = Vec::new();
    for s in stacks {
        out.push(s.clone());
        out.extend(s.variants.iter().cloned());
    }
    out
}

/// The stacks of the default run: default deployments with `default_run = true`.
pub fn default_run(stacks: &[Stack]) -> Vec<Stack> {
    stacks.iter().filter(|s| s.default_run).cloned().collect()
}

/// A name that matches no stack or no variant, with what would.
#[derive(Debug, thiserror::Error)]
pub enum UnknownStack {
    #[error("unknown stack `{name}` (known: {known})")]
    Stack { name: String, known: String },
    #[error(
        "stack `{base}` has no variant `{variant}` ({variants}; the plain name `{base}` is its default deployment)"
    )]
    Variant {
        base: String,
        variant: String,
        variants: String,
    },
}

/// Finds `name` (`base` or `base@variant`) among `stacks` and their variants.
pub fn find(stacks: &[Stack], name: &str) -> Result<Stack, UnknownStack> {
    let (base_name, variant) = match name.split_once(SEPARATOR) {
        Some((b, v)) => (b, Some(v)),
        None => (name, None),
    };
    let Some(base) = stacks.iter().find(|s| s.name == base_name) else {
        let known: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
        return Err(UnknownStack::Stack {
            name: name.into(),
            known: if known.is_empty() {
                "none found".into()
            } else {
                known.join(", ")
            },
        });
    };
    let Some(variant) = variant else {
        return Ok(base.clone());
    };
    base.variants
        .iter()
        .find(|v| v.variant.as_deref() == Some(variant))
        .cloned()
        .ok_or_else(|| UnknownStack::Variant {
            base: base.name.clone(),
            variant: variant.into(),
            variants: if base.variants.is_empty() {
                "it has none".into()
            } else {
                format!(
                    "variants: {}",
                    base.variants
                        .iter()
                        .map(|v| v.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        })
}

/// Each of `names` resolved with [`find`], in order, without repeats.
pub fn select(stacks: &[Stack], names: &[String]) -> Result<Vec<Stack>, UnknownStack> {
    let mut out: Vec<Stack> = Vec::new();
    for name in names {
        let s = find(stacks, name)?;
        if !out.iter().any(|o| o.name == s.name) {
            out.push(s);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const FLASK: &str = r#"
name = "python-flask"
language = "python"
framework = "Flask"
scenarios = ["plaintext", "json", "ws-chat"]
[start]
command = ["gunicorn", "-k", "gthread", "-b", "127.0.0.1:{port}"]
[start.override.ws-chat]
command = ["gunicorn", "-k", "gthread", "--threads", "1000", "-b", "127.0.0.1:{port}"]
[env]
A = "1"
[variants.sync]
description = "gunicorn sync workers"
command = ["gunicorn", "-k", "sync", "-b", "127.0.0.1:{port}"]
keep_alive = false
env = { B = "2" }
[variants.nows]
scenarios = ["plaintext"]
drop_overrides = ["ws-chat"]
unsupported = { ws-chat = "no" }
"#;

    fn parse(text: &str) -> Result<Stack, ManifestError> {
        let p = Path::new("stacks/x/stack.toml");
        manifest::parse_str(text, "stacks/x/stack.toml", Path::new("stacks/x"), p)
    }

    #[test]
    fn a_variant_overrides_only_what_it_names() {
        let base = parse(FLASK).unwrap();
        assert!(base.default_run && base.keep_alive);
        assert_eq!(base.runtime_name, "cpython");
        assert_eq!(base.variants.len(), 2);
        let sync = find(std::slice::from_ref(&base), "python-flask@sync").unwrap();
        assert_eq!(sync.base, "python-flask");
        assert_eq!(sync.variant.as_deref(), Some("sync"));
        assert!(!sync.default_run && !sync.keep_alive);
        assert_eq!(sync.start[2], "sync");
        assert_eq!(sync.env.len(), 2);
        assert_eq!(sync.scenarios, base.scenarios);
        assert_eq!(sync.start_override, base.start_override);
        let nows = find(std::slice::from_ref(&base), "python-flask@nows").unwrap();
        assert!(nows.start_override.is_empty());
        assert_eq!(nows.scenarios.len(), 1);
        assert_eq!(nows.start, base.start);
    }

    #[test]
    fn unknown_names_say_what_exists() {
        let base = parse(FLASK).unwrap();
        let all = [base];
        let err = find(&all, "python-flask@gthread").unwrap_err().to_string();
        assert_eq!(
            err,
            "stack `python-flask` has no variant `gthread` (variants: python-flask@nows, python-flask@sync; the plain name `python-flask` is its default deployment)"
        );
        let err = find(&all, "node-http").unwrap_err().to_string();
        assert_eq!(err, "unknown stack `node-http` (known: python-flask)");
        assert_eq!(deployments(&all).len(), 3);
        assert_eq!(default_run(&all).len(), 1);
    }

    #[test]
    fn variant_keys_are_validated_by_name() {
        let bad = FLASK.replace("keep_alive = false", "keep_alive = false\nmax_workers = 0");
        let err = parse(&bad).unwrap_err().to_string();
        assert!(err.contains("key 'variants.sync.max_workers'"), "{err}");
        let bad = FLASK.replace("[variants.sync]", "[variants.Sync]");
        let err = parse(&bad).unwrap_err().to_string();
        assert!(err.contains("key 'variants.Sync'"), "{err}");
        let bad = FLASK.replace(
            "drop_overrides = [\"ws-chat\"]",
            "drop_overrides = [\"wschat\"]",
        );
        let err = parse(&bad).unwrap_err().to_string();
        assert!(err.contains("variants.nows.drop_overrides"), "{err}");
    }

    #[test]
    fn runtime_name_and_default_run_are_read() {
        let runtime = "[runtime]\nname = \"pypy\"\ncommand = [\"pypy3\", \"--version\"]\n[start]\n";
        let text = format!(
            "default_run = false\n{}",
            FLASK.replace("[start]\n", runtime)
        );
        let s = parse(&text).unwrap();
        assert!(!s.default_run);
        assert_eq!(s.runtime_name, "pypy");
        assert_eq!(s.variants[0].runtime_name, "pypy");
    }
}
