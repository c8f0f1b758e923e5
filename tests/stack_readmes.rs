//! Every built-in stack's README carries its deployment facts (server command,
//! threads, keep-alive, JSON serialiser, database drivers and pools, what it
//! cannot serve) as a block generated from its stack.toml; a README whose block
//! differs from the manifest fails here. Regenerate a block with
//! `ringside stacks --facts NAME`, or all of them with
//! `RINGSIDE_BLESS=1 cargo test --test stack_readmes`.

use std::path::{Path, PathBuf};

use ringside::stack::{self, facts};

fn stacks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks")
}

fn builtin() -> Vec<stack::Stack> {
    stack::discover(&stacks_dir()).expect("the built-in stacks load")
}

#[test]
fn every_stack_readme_states_the_facts_of_its_manifest() {
    let bless = std::env::var_os("RINGSIDE_BLESS").is_some();
    let mut wrong = Vec::new();
    for s in builtin() {
        let path = s.dir.join("README.md");
        let readme = std::fs::read_to_string(&path).unwrap_or_default();
        let block = facts::readme_block(&s);
        if facts::find_block(&readme) == Some(block.as_str()) {
            continue;
        }
        if bless {
            std::fs::write(&path, facts::replace_block(&readme, &block)).unwrap();
        } else {
            wrong.push(format!(
                "{}: its deployment facts differ from {} (run `ringside stacks --facts {}` and paste the block, or RINGSIDE_BLESS=1 cargo test --test stack_readmes)",
                path.display(),
                s.manifest.display(),
                s.name
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The numbers a text gives as a pool size: "pool of 8", "8 per process".
fn pool_sizes(text: &str) -> Vec<u32> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let next = |k: usize| words.get(i + k).copied().unwrap_or("");
        if *w == "pool"
            && next(1) == "of"
            && let Ok(n) = next(2).trim_matches('`').parse()
        {
            out.push(n);
        }
        let unit = next(2).starts_with("process") || next(2).starts_with("worker");
        let after_of = i > 0 && words[i - 1] == "of";
        if (next(1) == "per" || next(1) == "a")
            && unit
            && !after_of
            && let Ok(n) = w.trim_matches('`').parse::<u32>()
        {
            out.push(n);
        }
        // "(`RINGSIDE_PG_POOL`, default 16)"
        if w.contains("POOL")
            && next(1) == "default"
            && let Ok(n) = next(2).trim_matches('`').parse()
        {
            out.push(n);
        }
    }
    out
}

#[test]
fn pool_sizes_are_read_from_prose() {
    assert_eq!(pool_sizes("asyncpg, pool of 8 per worker"), [8]);
    assert_eq!(pool_sizes("psycopg_pool, 8 per process"), [8]);
    assert_eq!(
        pool_sizes("one pool per worker (`RINGSIDE_PG_POOL`, default 16)"),
        [16]
    );
    assert_eq!(
        pool_sizes("one connection per process, 4 threads a process"),
        Vec::<u32>::new()
    );
    assert_eq!(pool_sizes("a pool of 4 so that"), [4]);
}

/// Regression: python-fastapi's README said "pool 16" and "aiosqlite pool of
/// 4" while the code used a pool of 8 and sqlite3 in line. Every pool size the
/// prose gives must be the manifest's.
#[test]
fn readme_prose_gives_no_other_pool_size_than_the_manifest() {
    let mut wrong = Vec::new();
    for s in builtin() {
        let readme = std::fs::read_to_string(s.dir.join("README.md")).unwrap_or_default();
        let declared: Vec<u32> = s.databases.values().flat_map(|d| pool_sizes(d)).collect();
        let prose = match facts::find_block(&readme) {
            Some(block) => readme.replacen(block, "", 1),
            None => readme.clone(),
        };
        for n in pool_sizes(&prose) {
            if !declared.contains(&n) {
                wrong.push(format!(
                    "{}: README gives a pool of {n}; its manifest's databases say {:?}",
                    s.name, s.databases
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
