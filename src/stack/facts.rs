//! A stack's deployment facts (server command, processes, threads, keep-alive,
//! JSON serialiser, database drivers and pools, scenarios it cannot serve),
//! rendered from its manifest as the Markdown block each `stacks/NAME/README.md`
//! carries between [`BEGIN`] and [`END`]. `tests/stack_readmes.rs` fails when a
//! README's block differs from its manifest's, so the prose around it cannot
//! drift from the deployment that is measured.

use super::Stack;

/// First line of the generated block in a README.
pub const BEGIN: &str = "<!-- BEGIN deployment facts: generated from stack.toml by `ringside stacks --facts NAME`; tests/stack_readmes.rs fails when they differ -->";
/// Last line of the generated block.
pub const END: &str = "<!-- END deployment facts -->";

/// The block for `stack` (a default deployment) and its variants, from
/// [`BEGIN`] to [`END`] inclusive, ending with a newline.
pub fn readme_block(stack: &Stack) -> String {
    let mut out = format!("{BEGIN}\n");
    out.push_str(
        "| deployment | start command (`{workers}`: processes, or threads for rust-axum) | threads a process | keep-alive | JSON |\n",
    );
    out.push_str("|---|---|---|---|---|\n");
    let deployments = std::iter::once(stack).chain(stack.variants.iter());
    for d in deployments.clone() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            d.name,
            code(&d.start.join(" ")),
            d.threads,
            if d.keep_alive {
                "yes"
            } else {
                "no (`Connection: close`)"
            },
            cell(&d.json),
        ));
    }
    let mut lines = Vec::new();
    for d in deployments {
        if d.protocol.is_http2() {
            lines.push(format!(
                "- `{}` {}: health, verify and loads go over HTTP/2, {} stream{} in flight a connection",
                d.name,
                if d.protocol.is_tls() {
                    "is reached over h2 (HTTP/2 over TLS, `h2` picked by ALPN, on a self-signed certificate made at launch and handed over in `TLS_CERT`/`TLS_KEY`)"
                } else {
                    "speaks h2c only (HTTP/2 with prior knowledge, no HTTP/1.1)"
                },
                d.streams,
                if d.streams == 1 { "" } else { "s" }
            ));
        }
        for (sc, argv) in &d.start_override {
            lines.push(format!(
                "- `{}` serves {} with {}",
                d.name,
                sc.name(),
                code(&argv.join(" "))
            ));
        }
        let offered = |sc: &String| {
            d.scenarios
                .iter()
                .any(|s| s.name() == sc && s.is_endpoint())
        };
        let inherited = |map: &std::collections::BTreeMap<String, String>, k: &String, v| {
            d.variant.is_some() && map.get(k) == Some(v)
        };
        for (sc, why) in &d.unsupported {
            if !offered(sc) && !inherited(&stack.unsupported, sc, why) {
                lines.push(format!("- `{}` {sc}: unsupported — {why}", d.name));
            }
        }
        let env: Vec<String> = d
            .env
            .iter()
            .filter(|(k, v)| !inherited(&stack.env, k, v))
            .map(|(k, v)| format!("`{k}={v}`"))
            .collect();
        if !env.is_empty() {
            lines.push(format!("- `{}` environment: {}", d.name, env.join(", ")));
        }
        for (db, driver) in &d.databases {
            if !inherited(&stack.databases, db, driver) {
                lines.push(format!("- `{}` {}: {driver}", d.name, db_label(db)));
            }
        }
    }
    if !lines.is_empty() {
        out.push('\n');
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// The block between [`BEGIN`] and [`END`] in `readme`, both included, or
/// `None` when either marker is missing.
pub fn find_block(readme: &str) -> Option<&str> {
    let start = readme.find(BEGIN)?;
    let end = readme[start..].find(END)? + start + END.len();
    let with_newline = readme[end..].starts_with('\n');
    Some(&readme[start..end + usize::from(with_newline)])
}

/// `readme` with its block replaced by `block` (appended when it has none).
pub fn replace_block(readme: &str, block: &str) -> String {
    match find_block(readme) {
        Some(old) => readme.replacen(old, block, 1),
        None if readme.is_empty() => block.to_string(),
        None => format!("{}\n\n{block}", readme.trim_end()),
    }
}

fn db_label(db: &str) -> &str {
    match db {
        "sqlite" => "SQLite",
        "postgres" => "PostgreSQL",
        other => other,
    }
}

fn code(text: &str) -> String {
    format!("`{}`", text.replace('|', "\\|"))
}

fn cell(text: &str) -> String {
    if text.is_empty() {
        "—".into()
    } else {
        text.replace('|', "\\|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn flask() -> Stack {
        let mut base = Stack {
            name: "python-flask".into(),
            base: "python-flask".into(),
            start: vec!["gunicorn".into(), "-k".into(), "gthread".into()],
            threads: 4,
            json: "Flask's dict return".into(),
            scenarios: vec![Scenario::Json, Scenario::WsChat],
            ..Default::default()
        };
        base.databases
            .insert("postgres".into(), "psycopg pool of 8".into());
        base.start_override.insert(
            Scenario::WsChat,
            vec!["gunicorn".into(), "--threads".into(), "1000".into()],
        );
        let mut sync = base.clone();
        sync.name = "python-flask@sync".into();
        sync.variant = Some("sync".into());
        sync.keep_alive = false;
        sync.threads = 1;
        sync.scenarios = vec![Scenario::Json];
        sync.start_override.clear();
        sync.unsupported
            .insert("ws-chat".into(), "one socket a worker".into());
        base.variants.push(sync);
        base
    }

    #[test]
    fn the_block_names_every_deployment_and_what_it_cannot_serve() {
        let block = readme_block(&flask());
        let expected = format!(
            "{BEGIN}
| deployment | start command (`{{workers}}`: processes, or threads for rust-axum) | threads a process | keep-alive | JSON |
|---|---|---|---|---|
| `python-flask` | `gunicorn -k gthread` | 4 | yes | Flask's dict return |
| `python-flask@sync` | `gunicorn -k gthread` | 1 | no (`Connection: close`) | Flask's dict return |

- `python-flask` serves ws-chat with `gunicorn --threads 1000`
- `python-flask` PostgreSQL: psycopg pool of 8
- `python-flask@sync` ws-chat: unsupported — one socket a worker
{END}
"
        );
        assert_eq!(block, expected);
    }

    #[test]
    fn a_block_is_found_and_replaced_in_place() {
        let block = readme_block(&flask());
        let readme = format!("# python-flask\n\nintro\n\n{block}\nmore prose\n");
        assert_eq!(find_block(&readme), Some(block.as_str()));
        let stale = readme.replace("| 4 |", "| 2 |");
        assert_ne!(find_block(&stale), Some(block.as_str()));
        assert_eq!(replace_block(&stale, &block), readme);
        assert_eq!(find_block("no markers"), None);
        let appended = replace_block("# x\n", &block);
        assert_eq!(appended, format!("# x\n\n{block}"));
    }
}
