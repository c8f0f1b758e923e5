//! Each evidence line names the versions of the stacks it rests on: the
//! first mention of a stack in a line gains its runtime and framework
//! versions, `node-http (node 26.12.1)`, or `node-http (node 26.12.1; Node.js
//! json, …)` where the rule already put a parenthesis after the name.

use crate::verdict::figures::StackInfo;

/// Adds each stack's versions after its first mention in each line.
pub(super) fn name_versions(lines: &mut [String], stacks: &[StackInfo]) {
    let mut named: Vec<&StackInfo> = stacks.iter().filter(|s| !s.versions.is_empty()).collect();
    // Longest first: `node-http (node 24.22)` before `node-http`.
    named.sort_by_key(|s| std::cmp::Reverse(s.name.len()));
    for line in lines {
        *line = annotate(line, &named);
    }
}

fn annotate(line: &str, stacks: &[&StackInfo]) -> String {
    // (where the name ends, versions) for each stack's first free mention.
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut inserts: Vec<(usize, &str)> = Vec::new();
    for s in stacks {
        let Some(start) = mention(line, &s.name, &taken) else {
            continue;
        };
        let end = start + s.name.len();
        taken.push((start, end));
        if line[end..].starts_with(&format!(" ({}", s.versions)) {
            continue; // the rule named them already
        }
        inserts.push((end, s.versions.as_str()));
    }
    inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut out = line.to_string();
    for (at, versions) in inserts {
        if out[at..].starts_with(" (") {
            out.insert_str(at + 2, &format!("{versions}; "));
        } else {
            out.insert_str(at, &format!(" ({versions})"));
        }
    }
    out
}

/// The first place `name` stands as a whole name in `line`, outside the
/// spans already `taken` by longer names.
fn mention(line: &str, name: &str, taken: &[(usize, usize)]) -> Option<usize> {
    let part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '@' | '.');
    let mut from = 0;
    while let Some(i) = line[from..].find(name) {
        let start = from + i;
        let end = start + name.len();
        let before = line[..start].chars().next_back();
        let after = line[end..].chars().next();
        // A name's last character may be a sentence's full stop after it.
        let after_ok = match after {
            None => true,
            Some('.') => !line[end + 1..].starts_with(|c: char| c.is_ascii_alphanumeric()),
            Some(c) => !part(c),
        };
        let free = !taken.iter().any(|&(a, b)| start < b && a < end);
        if !before.is_some_and(part) && after_ok && free {
            return Some(start);
        }
        from = start + name.len().max(1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::figures::Lang;

    fn info(name: &str, versions: &str) -> StackInfo {
        StackInfo {
            name: name.into(),
            lang: Lang::Node,
            runtime: "node".into(),
            framework: String::new(),
            versions: versions.into(),
            variant: None,
            threads: None,
            worker_threads: false,
            measured: true,
            finalist: true,
        }
    }

    #[test]
    fn the_first_mention_of_each_stack_names_its_versions() {
        let stacks = vec![
            info("node-http", "node 26.12.1"),
            info("node-http (node 24.22)", "node 24.22.3"),
            info("node-http@cluster", "node 26.12.1"),
            info("python-flask", "cpython 3.11.7, flask 3.1.2"),
            info("rust-axum", ""),
        ];
        let mut lines = vec![
            "node-http 52,000 req/s ÷ python-flask 9,000 req/s; node-http again".to_string(),
            "node-http (Node.js json, 1 thread a process): 1 process 1.0".to_string(),
            "node-http (node 24.22) 1.1× node-http@cluster and rust-axum.".to_string(),
            "nothing here: node-https, xnode-http".to_string(),
        ];
        name_versions(&mut lines, &stacks);
        assert_eq!(
            lines[0],
            "node-http (node 26.12.1) 52,000 req/s ÷ python-flask (cpython 3.11.7, flask 3.1.2) 9,000 req/s; node-http again"
        );
        assert_eq!(
            lines[1],
            "node-http (node 26.12.1; Node.js json, 1 thread a process): 1 process 1.0"
        );
        assert_eq!(
            lines[2],
            "node-http (node 24.22) (node 24.22.3) 1.1× node-http@cluster (node 26.12.1) and rust-axum."
        );
        assert_eq!(lines[3], "nothing here: node-https, xnode-http");
    }

    #[test]
    fn versions_the_rule_wrote_are_not_repeated() {
        let stacks = vec![info("node-http", "node 26.12.1")];
        let mut lines = vec!["node-http (node 26.12.1) leads".to_string()];
        name_versions(&mut lines, &stacks);
        assert_eq!(lines[0], "node-http (node 26.12.1) leads");
    }
}
