//! The PostgreSQL driver variants (`spec/fairness.md`, "The PostgreSQL
//! drivers, and which way they lean") are declared as the fairness policy
//! describes them, and every driver version a manifest's `[databases]` names
//! (shown in each stack's README facts) is the version its lockfile installs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ringside::stack::{self, Stack};

fn stacks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks")
}

fn builtin() -> Vec<Stack> {
    stack::discover(&stacks_dir()).expect("the built-in stacks load")
}

fn deployment(name: &str) -> (Stack, Stack) {
    let (base, variant) = name.split_once('@').unwrap();
    let base = builtin()
        .into_iter()
        .find(|s| s.name == base)
        .unwrap_or_else(|| panic!("no built-in stack {base}"));
    let v = base
        .variants
        .iter()
        .find(|v| v.variant.as_deref() == Some(variant))
        .unwrap_or_else(|| panic!("{} has no variant {variant}", base.name))
        .clone();
    (base, v)
}

/// A driver variant changes the PostgreSQL driver (and, for sqlmodel, the
/// SQLite layer) and nothing a reader would mistake for a deployment change:
/// the same start command, scenarios, threads and keep-alive as its default.
fn assert_same_deployment(base: &Stack, v: &Stack) {
    assert_eq!(v.start, base.start, "{}: start command", v.name);
    assert_eq!(v.start_override, base.start_override, "{}", v.name);
    assert_eq!(v.scenarios, base.scenarios, "{}: scenarios", v.name);
    assert_eq!(
        (v.threads, v.keep_alive),
        (base.threads, base.keep_alive),
        "{}",
        v.name
    );
    assert!(
        v.unsupported.is_empty(),
        "{}: serves every scenario",
        v.name
    );
    assert!(
        !v.default_run,
        "{}: a variant is not in the default run",
        v.name
    );
    assert_ne!(
        v.databases.get("postgres"),
        base.databases.get("postgres"),
        "{}: names its own PostgreSQL driver",
        v.name
    );
    assert!(
        v.databases["postgres"].contains("pool of 8 per"),
        "{}: R4's pool of 8, said in its facts: {}",
        v.name,
        v.databases["postgres"]
    );
}

fn source(stack: &Stack, file: &str) -> String {
    std::fs::read_to_string(stack.dir.join(file)).unwrap()
}

#[test]
fn node_fastify_postgresjs_swaps_only_the_postgres_driver() {
    let (base, v) = deployment("node-fastify@postgresjs");
    assert_same_deployment(&base, &v);
    assert_eq!(v.databases["sqlite"], base.databases["sqlite"]);
    assert!(v.databases["postgres"].starts_with("postgres.js "));
    assert_eq!(v.env["RINGSIDE_PG_DRIVER"], "postgres.js");
    assert_eq!(base.env.get("RINGSIDE_PG_DRIVER"), None);
    // The value the manifest sets is the one db.js dispatches on.
    assert!(source(&v, "db.js").contains("driver === 'postgres.js'"));
    assert!(source(&v, "db_postgresjs.js").contains("sql.reserve()"));
}

#[test]
fn python_fastapi_sqlmodel_swaps_only_the_database_layer() {
    let (base, v) = deployment("python-fastapi@sqlmodel");
    assert_same_deployment(&base, &v);
    assert_eq!(v.env["RINGSIDE_FASTAPI_DB"], "sqlmodel");
    assert_eq!(base.env.get("RINGSIDE_FASTAPI_DB"), None);
    for db in ["sqlite", "postgres"] {
        assert!(
            v.databases[db].starts_with("SQLModel "),
            "{db}: {}",
            v.databases[db]
        );
    }
    assert!(source(&v, "db.py").contains("\"sqlmodel\""));
    let routes = source(&v, "routes_sqlmodel.py");
    for path in ["/db", "/queries", "/fortunes", "/updates"] {
        assert!(
            routes.contains(&format!("@router.get(\"{path}\")\ndef ")),
            "{path} is a plain def path operation, as the tutorial writes it"
        );
    }
}

/// Regression: with the session yielded by a `Depends` generator (FastAPI's
/// `SessionDep`), 64 clients against a pool of 8 stopped every response (the
/// sessions holding the connections waited for a thread the blocked
/// checkouts held). Each endpoint opens and closes its own session.
#[test]
fn sqlmodel_sessions_close_inside_the_endpoint_not_in_a_dependency() {
    let (_, v) = deployment("python-fastapi@sqlmodel");
    let routes = source(&v, "routes_sqlmodel.py");
    let code: String = routes
        .split("\"\"\"")
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, part)| part)
        .collect();
    assert!(!code.contains("Depends("), "no session dependency");
    assert_eq!(
        code.matches("with Session(engine(request)) as session:")
            .count(),
        4,
        "one session a database endpoint, closed before it returns"
    );
}

/// `NAME VERSION` pairs in a driver description: "pg 8.23.1, pool of 8"
/// gives `("pg", "8.23.1")`.
fn named_versions(text: &str) -> Vec<(String, String)> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')' || c == '+')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .filter(|w| {
            let v = w[1];
            v.contains('.')
                && v.split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|w| (w[0].to_string(), w[1].to_string()))
        .collect()
}

#[test]
fn named_versions_are_read_from_driver_text() {
    assert_eq!(
        named_versions("pg 8.23.1, pool of 8 per process"),
        [("pg".to_string(), "8.23.1".to_string())]
    );
    assert_eq!(
        named_versions("psycopg 3.3.9 (binary) + psycopg_pool 3.3.3, 8 per process").len(),
        2
    );
    assert_eq!(
        named_versions("tokio-postgres 0.7 + deadpool-postgres 0.14, 8 per worker thread")[1],
        ("deadpool-postgres".to_string(), "0.14".to_string())
    );
    assert!(named_versions("sqlite3 (stdlib), one connection per worker").is_empty());
}

/// Every version each package is locked at, by the stack's lockfile kind.
fn locked_versions(stack: &Stack) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let dir = &stack.dir;
    if let Ok(text) = std::fs::read_to_string(dir.join("package-lock.json")) {
        let lock: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (path, pkg) in lock["packages"].as_object().unwrap() {
            if let (Some(name), Some(v)) =
                (path.rsplit("node_modules/").next(), pkg["version"].as_str())
                && !path.is_empty()
            {
                out.entry(name.to_string()).or_default().push(v.to_string());
            }
        }
    }
    // Python: every per-interpreter lock (requirements/py3.N.txt).
    let locks = std::fs::read_dir(dir.join("requirements"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"));
    for lock in locks {
        let text = std::fs::read_to_string(lock.path()).unwrap();
        for line in text.lines() {
            if let Some((name, rest)) = line.split_once("==") {
                let name = name.trim().split('[').next().unwrap();
                let v = rest.split([' ', ';', '\\']).next().unwrap();
                out.entry(name.to_lowercase().replace('_', "-"))
                    .or_default()
                    .push(v.to_string());
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("Cargo.lock")) {
        let lock: toml::Table = toml::from_str(&text).unwrap();
        for pkg in lock["package"].as_array().unwrap() {
            let name = pkg["name"].as_str().unwrap().to_string();
            let v = pkg["version"].as_str().unwrap().to_string();
            out.entry(name).or_default().push(v);
        }
    }
    out
}

/// The package a driver's prose name is installed as.
fn package_name(prose: &str) -> String {
    match prose {
        "postgres.js" => "postgres".into(),
        other => other.to_lowercase().replace('_', "-"),
    }
}

/// Regression: a manifest naming a driver version its lock does not install
/// (the README facts are generated from it) would tell a reader which driver
/// produced a figure, wrongly.
#[test]
fn every_driver_version_a_manifest_names_is_the_locked_one() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for base in builtin() {
        let locked = locked_versions(&base);
        for d in std::iter::once(&base).chain(base.variants.iter()) {
            for (db, text) in &d.databases {
                for (name, version) in named_versions(text) {
                    let pkg = package_name(&name);
                    let pins = locked.get(&pkg).cloned().unwrap_or_default();
                    // "0.37" names the 0.37.x series (Cargo's caret requirement).
                    let matches = pins
                        .iter()
                        .any(|p| *p == version || p.starts_with(&format!("{version}.")));
                    checked += 1;
                    if !matches {
                        wrong.push(format!(
                            "{} databases.{db}: names {name} {version}; its lock has {pkg} at {pins:?}",
                            d.name
                        ));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 12, "only {checked} driver versions found");
}
