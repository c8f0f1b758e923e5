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
    if let Some(j) = raw.json {
        v.json = j;
    }
    if let Some(min) = raw.min_version {
        if super::runtime::parse_version(&min).is_none() {
            return Err(ManifestError::Invalid {
                file: file.into(),
                key: key("min_version"),
                value: min,
                reason: "expected a dotted version such as 22.12".into(),
            });
        }
        let Some(rt) = v.runtime.as_mut() else {
            return Err(ManifestError::Missing {
                file: file.into(),
                key: "runtime.command".into(),
            });
        };
        rt.min_version = Some(min);
    }
    let replaces_command = raw.command.is_some();
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
    (v.protocol, v.streams) = manifest::protocol(
        (v.protocol, v.streams),
        raw.protocol,
        raw.streams,
        file,
        &prefix,
    )?;
    if let Some(list) = raw.scenarios {
        v.scenarios = manifest::scenario_list(&list, file, &key("scenarios"))?;
    }
    manifest::check_env(&raw.env, file, &key("env"))?;
    v.env.extend(raw.env);
    manifest::check_unsupported(&raw.unsupported, file, &key("unsupported"))?;
    // A scenario the variant cannot serve is neither claimed nor launched.
    for scen in raw.unsupported.keys() {
        if let Ok(sc) = scen.parse() {
            v.scenarios.retain(|s| *s != sc);
            v.start_override.remove(&sc);
        }
    }
    v.unsupported.extend(raw.unsupported);
    manifest::check_protocol_scenarios(
        v.protocol,
        &v.scenarios,
        &v.unsupported,
        file,
        &format!("{prefix}."),
    )?;
    v.databases.extend(raw.databases);
    let mut dropped = Vec::new();
    for scen in &raw.drop_overrides {
        let sc = manifest::endpoint_scenario(scen, file, &key("drop_overrides"))?;
        v.start_override.remove(&sc);
        dropped.push(sc);
    }
    let own = manifest::overrides(raw.overrides, file, &key("override"))?;
    if replaces_command {
        inherits_no_override(base, &v, &own, &dropped, file, &prefix)?;
    }
    v.start_override.extend(own);
    Ok(v)
}

/// A variant that replaces the start command must not serve a scenario with
/// the default deployment's `[start.override]`: its figures would be labelled
/// with a deployment that did not produce them. It says what it does instead:
/// `unsupported`, `drop_overrides` (its own command serves the scenario) or
/// its own `[variants.NAME.override.SCENARIO]`.
fn inherits_no_override(
    base: &Stack,
    v: &Stack,
    own: &std::collections::BTreeMap<crate::scenario::Scenario, Vec<String>>,
    dropped: &[crate::scenario::Scenario],
    file: &str,
    prefix: &str,
) -> Result<(), ManifestError> {
    for sc in base.start_override.keys() {
        if v.scenarios.contains(sc) && !own.contains_key(sc) && !dropped.contains(sc) {
            return Err(ManifestError::Invalid {
                file: file.into(),
                key: prefix.into(),
                value: sc.name().into(),
                reason: format!(
                    "the variant replaces the start command but would serve {sc} with \
                     [start.override.{sc}], another deployment: add unsupported.{sc} = \"why\", \
                     drop_overrides = [\"{sc}\"] (its own command serves it) or \
                     [{prefix}.override.{sc}]",
                    sc = sc.name()
                ),
            });
        }
    }
    Ok(())
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
unsupported = { ws-chat = "a sync worker holds one socket" }
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
        assert_eq!(sync.scenarios, base.scenarios[..2]);
        assert!(sync.start_override.is_empty());
        assert_eq!(
            sync.unsupported["ws-chat"],
            "a sync worker holds one socket"
        );
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

    /// Regression: python-flask@sync replaced the command but served ws-chat
    /// with the gthread override, so gthread's figures carried `@sync`.
    #[test]
    fn a_variant_with_its_own_command_does_not_inherit_an_override() {
        let bad = FLASK.replace(
            "unsupported = { ws-chat = \"a sync worker holds one socket\" }\n",
            "",
        );
        let err = parse(&bad).unwrap_err().to_string();
        assert!(err.contains("key 'variants.sync'"), "{err}");
        assert!(err.contains("unsupported.ws-chat"), "{err}");
        let dropped = bad.replace(
            "env = { B = \"2\" }\n",
            "env = { B = \"2\" }\ndrop_overrides = [\"ws-chat\"]\n",
        );
        let sync = parse(&dropped).unwrap().variants.remove(1);
        assert!(sync.scenarios.contains(&crate::scenario::Scenario::WsChat));
        assert!(sync.start_override.is_empty());
        let own = format!(
            "{bad}[variants.sync.override.ws-chat]\ncommand = [\"gunicorn\", \"-k\", \"gevent\", \"-b\", \"127.0.0.1:{{port}}\"]\n"
        );
        let sync = parse(&own).unwrap().variants.remove(1);
        assert_eq!(sync.start_override.values().next().unwrap()[2], "gevent");
    }

    #[test]
    fn a_variant_may_need_a_newer_runtime() {
        let text = FLASK.replace(
            "[start]\n",
            "[runtime]\ncommand = [\"python3\", \"--version\"]\nmin_version = \"3.10\"\n[start]\n",
        );
        let text = text.replace(
            "[variants.nows]\n",
            "[variants.nows]\nmin_version = \"3.13\"\n",
        );
        let s = parse(&text).unwrap();
        let min = |st: &Stack| st.runtime.as_ref().unwrap().min_version.clone().unwrap();
        assert_eq!(min(&s), "3.10");
        assert_eq!(min(&s.variants[0]), "3.13");
        assert_eq!(min(&s.variants[1]), "3.10");
        let bad = text.replace("min_version = \"3.13\"", "min_version = \"new\"");
        let err = parse(&bad).unwrap_err().to_string();
        assert!(err.contains("variants.nows.min_version"), "{err}");
    }

    const H2: &str = r#"
[variants.h2]
command = ["gunicorn", "--h2", "-b", "127.0.0.1:{port}"]
protocol = "h2c"
unsupported = { ws-chat = "HTTP/2 only", idle = "HTTP/2 only" }
[variants.h2-mux]
command = ["gunicorn", "--h2", "-b", "127.0.0.1:{port}"]
protocol = "h2c"
streams = 16
unsupported = { ws-chat = "HTTP/2 only" }
"#;

    #[test]
    fn an_http2_variant_declares_its_protocol_and_streams() {
        let base = parse(&format!("{FLASK}{H2}")).unwrap();
        assert_eq!(
            (base.protocol, base.streams),
            (super::super::Protocol::Http1, 1)
        );
        let all = [base];
        let h2 = find(&all, "python-flask@h2").unwrap();
        assert_eq!((h2.protocol, h2.streams), (super::super::Protocol::H2c, 1));
        assert!(!h2.scenarios.contains(&crate::scenario::Scenario::WsChat));
        assert!(h2.start_override.is_empty());
        assert_eq!(h2.unsupported["idle"], "HTTP/2 only");
        let mux = find(&all, "python-flask@h2-mux").unwrap();
        assert_eq!(
            (mux.protocol, mux.streams),
            (super::super::Protocol::H2c, 16)
        );
        let chosen = select(&all, &["python-flask".into(), "python-flask@h2".into()]).unwrap();
        assert_eq!(chosen.len(), 2);
        assert!(!chosen[0].protocol.is_http2() && chosen[1].protocol.is_http2());
    }

    #[test]
    fn bad_protocols_and_streams_are_named() {
        let bad = format!("{FLASK}{}", H2.replacen("\"h2c\"", "\"h3\"", 1));
        let err = parse(&bad).unwrap_err().to_string();
        assert!(
            err.contains("key 'variants.h2.protocol'") && err.contains("known: http/1.1, h2c"),
            "{err}"
        );
        let bad = format!("{FLASK}{}", H2.replace("streams = 16", "streams = 0"));
        let err = parse(&bad).unwrap_err().to_string();
        assert!(err.contains("key 'variants.h2-mux.streams'"), "{err}");
        // Several streams need HTTP/2.
        let bad = FLASK.replace(
            "keep_alive = false",
            "keep_alive = false
streams = 4",
        );
        let err = parse(&bad).unwrap_err().to_string();
        assert!(
            err.contains("key 'variants.sync.streams'") && err.contains("h2c"),
            "{err}"
        );
        // An h2c deployment cannot claim ws-chat.
        let bad = format!(
            "{FLASK}{}",
            H2.replace(
                "unsupported = { ws-chat = \"HTTP/2 only\" }\n",
                "drop_overrides = [\"ws-chat\"]\n"
            )
        );
        let err = parse(&bad).unwrap_err().to_string();
        assert!(
            err.contains("variants.h2-mux.scenarios") && err.contains("unsupported.ws-chat"),
            "{err}"
        );
        let top = FLASK.replace("[start]\ncommand", "[start]\nprotocol = \"h2c\"\ncommand");
        let err = parse(&top).unwrap_err().to_string();
        assert!(
            err.contains("key 'scenarios'") && err.contains("ws-chat"),
            "{err}"
        );
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
