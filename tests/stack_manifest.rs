//! `stack.toml` parsing: a good manifest, and each kind of bad one, whose
//! message names the file, the key and the bad value (exit code 2).

use std::path::{Path, PathBuf};

use ringside::error::exit_code;
use ringside::scenario::Scenario;
use ringside::stack;

const GOOD: &str = r#"
name = "node-express"
language = "javascript"
framework = "Express 4.21"
description = "Express on node:http"
scenarios = ["plaintext", "json", "db", "ws-chat"]

[runtime]
command = ["node", "--version"]
min_version = "18.0"

[install]
lockfiles = ["package.json", "package-lock.json"]
commands = [["npm", "ci", "--omit=dev"]]

[start]
command = ["node", "server.js", "--port", "{port}", "--workers", "{workers}"]
max_workers = 8
ready_timeout_s = 12.5

[start.override.ws-chat]
command = ["node", "ws.js", "--port={port}"]

[env]
NODE_ENV = "production"

[unsupported]
numeric = "no typed-array port yet"

[databases]
sqlite = "better-sqlite3 11.7.0"

[footprint]
source = ["server.js"]
"#;

/// Writes `text` as `DIR/x/stack.toml` and loads it.
fn load(text: &str) -> (tempfile::TempDir, PathBuf, anyhow::Result<stack::Stack>) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("x");
    std::fs::create_dir(&folder).unwrap();
    let path = folder.join("stack.toml");
    std::fs::write(&path, text).unwrap();
    let res = stack::load_manifest(&path);
    (dir, path, res)
}

/// Loads `text`, expects an error, checks it names the file and returns the message.
fn error_of(text: &str) -> String {
    let (_dir, path, res) = load(text);
    let err = res.expect_err("manifest should be rejected");
    assert_eq!(exit_code(&err), 2, "bad manifest is bad input");
    let msg = format!("{err:#}");
    assert!(
        msg.starts_with(&format!("{}: ", path.display())),
        "message should start with the file: {msg}"
    );
    msg
}

#[test]
fn good_manifest_loads_every_section() {
    let (_dir, path, res) = load(GOOD);
    let s = res.unwrap();
    assert_eq!(s.name, "node-express");
    assert_eq!(s.language, "javascript");
    assert_eq!(s.framework, "Express 4.21");
    assert_eq!(s.dir, path.parent().unwrap());
    assert_eq!(s.manifest, path);
    assert_eq!(
        s.scenarios,
        [
            Scenario::Plaintext,
            Scenario::Json,
            Scenario::Db,
            Scenario::WsChat
        ]
    );
    assert_eq!(s.start[0], "node");
    assert_eq!(s.start_override[&Scenario::WsChat][1], "ws.js");
    assert_eq!(s.max_workers, 8);
    assert_eq!(s.ready_timeout.as_millis(), 12_500);
    assert_eq!(s.env["NODE_ENV"], "production");
    assert_eq!(s.unsupported["numeric"], "no typed-array port yet");
    assert_eq!(s.databases["sqlite"], "better-sqlite3 11.7.0");
    assert_eq!(s.install.lockfiles.len(), 2);
    assert_eq!(s.install.commands[0][1], "ci");
    let rt = s.runtime.as_ref().unwrap();
    assert_eq!(rt.min_version.as_deref(), Some("18.0"));
    assert_eq!(
        s.footprint_source.as_deref(),
        Some(&["server.js".to_string()][..])
    );
    assert!(s.supports(Scenario::Idle));
    assert!(!s.supports(Scenario::Cpu));
}

#[test]
fn optional_sections_default() {
    let text = r#"
name = "mine"
language = "other"
framework = "custom"
scenarios = ["plaintext"]
[start]
command = ["./server", "{port}"]
"#;
    let (_dir, _path, res) = load(text);
    let s = res.unwrap();
    assert_eq!(s.ready_timeout.as_secs(), 30);
    assert_eq!(s.max_workers, 64);
    assert!(s.runtime.is_none());
    assert!(s.install.commands.is_empty());
    assert!(
        matches!(
            stack::runtime_status(&s),
            stack::RuntimeStatus::Present { .. }
        ),
        "no [runtime]: present"
    );
}

#[test]
fn missing_key_is_named() {
    let msg = error_of(&GOOD.replace("name = \"node-express\"\n", ""));
    assert!(msg.ends_with("key 'name': missing"), "{msg}");
    let msg = error_of(&GOOD.replace(
        "command = [\"node\", \"server.js\", \"--port\", \"{port}\", \"--workers\", \"{workers}\"]\n",
        "",
    ));
    assert!(msg.ends_with("key 'start.command': missing"), "{msg}");
    let msg = error_of(&GOOD.replace(
        "scenarios = [\"plaintext\", \"json\", \"db\", \"ws-chat\"]\n",
        "",
    ));
    assert!(msg.ends_with("key 'scenarios': missing"), "{msg}");
}

#[test]
fn unknown_scenario_is_named_with_the_known_ones() {
    let msg = error_of(&GOOD.replace("\"db\", \"ws-chat\"", "\"db\", \"websocket\""));
    assert!(
        msg.contains("key 'scenarios': unknown scenario 'websocket' (known: plaintext, json,"),
        "{msg}"
    );
    let msg = error_of(&GOOD.replace("[start.override.ws-chat]", "[start.override.wschat]"));
    assert!(
        msg.contains("key 'start.override.wschat': unknown scenario 'wschat'"),
        "{msg}"
    );
    let msg = error_of(&GOOD.replace("\"db\", \"ws-chat\"", "\"db\", \"idle\""));
    assert!(
        msg.contains("key 'scenarios': scenario 'idle' applies to every stack"),
        "{msg}"
    );
}

#[test]
fn placeholder_typo_is_named() {
    let msg = error_of(&GOOD.replace("\"{port}\", \"--workers\"", "\"{prot}\", \"--workers\""));
    assert!(
        msg.ends_with(
            "key 'start.command': unknown placeholder '{prot}' (known: {port}, {workers})"
        ),
        "{msg}"
    );
    let msg = error_of(&GOOD.replace("--port={port}", "--port={pot}"));
    assert!(
        msg.contains("key 'start.override.ws-chat.command': unknown placeholder '{pot}'"),
        "{msg}"
    );
}

#[test]
fn bad_name_empty_command_unknown_language() {
    let msg = error_of(&GOOD.replace("name = \"node-express\"", "name = \"Node Express\""));
    assert!(msg.contains("key 'name': bad name 'Node Express'"), "{msg}");
    let msg = error_of(&GOOD.replace(
        "commands = [[\"npm\", \"ci\", \"--omit=dev\"]]",
        "commands = [[]]",
    ));
    assert!(
        msg.ends_with("key 'install.commands[0]': empty command"),
        "{msg}"
    );
    let msg = error_of(&GOOD.replace("language = \"javascript\"", "language = \"typescript\""));
    assert!(
        msg.ends_with(
            "key 'language': unknown language 'typescript' (known: javascript, python, rust, other)"
        ),
        "{msg}"
    );
    let msg = error_of(&GOOD.replace("max_workers = 8", "max_workers = 0"));
    assert!(
        msg.contains("key 'start.max_workers': bad value '0'"),
        "{msg}"
    );
}

#[test]
fn unknown_key_and_bad_syntax_name_the_file() {
    let msg = error_of(&GOOD.replace("max_workers = 8", "max_worker = 8"));
    assert!(msg.contains("max_worker"), "{msg}");
    let msg = error_of("name = \"x\n");
    assert!(msg.contains("line 1"), "{msg}");
}

fn write_stack(root: &Path, folder: &str, name: &str) {
    let dir = root.join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("stack.toml"),
        GOOD.replace("name = \"node-express\"", &format!("name = \"{name}\"")),
    )
    .unwrap();
}

#[test]
fn discover_sorts_by_name_and_rejects_duplicates() {
    let root = tempfile::tempdir().unwrap();
    write_stack(root.path(), "a", "zeta");
    write_stack(root.path(), "b", "alpha");
    std::fs::create_dir(root.path().join("not-a-stack")).unwrap();
    let names: Vec<String> = stack::discover(root.path())
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);
    write_stack(root.path(), "c", "alpha");
    let msg = format!("{:#}", stack::discover(root.path()).unwrap_err());
    assert!(msg.contains("stack 'alpha' is also defined by"), "{msg}");
}

#[test]
fn fixture_stacks_discover() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks");
    let stacks = stack::discover(&root).unwrap();
    assert!(stacks.iter().any(|s| s.name == "py-basic"));
}

/// The example of `spec/stack-manifest.md` is a manifest that loads, with its
/// variant, so the documented keys and the parser cannot drift apart.
#[test]
fn the_documented_example_loads_with_its_variant() {
    let spec = include_str!("../spec/stack-manifest.md");
    let start = spec.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + spec[start..].find("```").expect("its end");
    let (_dir, _path, res) = load(&spec[start..end]);
    let s = res.unwrap();
    assert_eq!(s.runtime_name, "node");
    assert!(s.default_run && s.keep_alive);
    let v = stack::find(std::slice::from_ref(&s), "node-express@cluster").unwrap();
    assert_eq!(v.base, "node-express");
    assert!(!v.default_run);
    assert_eq!(v.scenarios, [Scenario::Plaintext, Scenario::Json]);
    assert_eq!(v.env["UV_THREADPOOL_SIZE"], "4");
    assert!(v.start_override.contains_key(&Scenario::WsChat));
}
