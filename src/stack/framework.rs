//! The framework label as installed. A manifest's `framework` names the
//! packages a stack is built from with the versions its author expected
//! (`Django 5.2 / gunicorn 27 (gevent 26)`); once the stack is installed,
//! every package the label names gets the exact version found in its
//! `node_modules`, venv or `Cargo.lock` ([`super::packages`]), so the label
//! a run records and prints is what ran, not what the manifest hoped for.

use std::collections::BTreeMap;

/// `label` with each named package's version replaced by (or, when the
/// label gives none, followed by) the installed one from `packages`
/// (name -> version). Words that name no installed package stay as they are.
pub fn installed_label(label: &str, packages: &BTreeMap<String, String>) -> String {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '.'], "_");
    let installed: BTreeMap<String, &str> = packages
        .iter()
        .map(|(k, v)| (norm(k), v.as_str()))
        .collect();
    let words: Vec<&str> = label.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        let name =
            word.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let Some(version) = (!name.is_empty())
            .then(|| installed.get(&norm(name)))
            .flatten()
        else {
            out.push(word.to_string());
            i += 1;
            continue;
        };
        // What follows the name in the word (`,`, `)`) goes after the version.
        let at = word.find(name).unwrap_or(0) + name.len();
        let (head, tail) = word.split_at(at);
        match words.get(i + 1) {
            Some(next) if tail.is_empty() && next.starts_with(|c: char| c.is_ascii_digit()) => {
                let rest = next
                    .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || "./".contains(c));
                out.push(head.to_string());
                out.push(format!("{version}{rest}"));
                i += 2;
            }
            _ => {
                out.push(format!("{head} {version}{tail}"));
                i += 1;
            }
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pk(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_manifest_range_becomes_the_installed_version() {
        let p = pk(&[
            ("django", "5.2.9"),
            ("gunicorn", "23.0.0"),
            ("gevent", "25.9.1"),
        ]);
        assert_eq!(
            installed_label("Django 5.2/6.1 / gunicorn 27 (gevent 26)", &p),
            "Django 5.2.9 / gunicorn 23.0.0 (gevent 25.9.1)"
        );
        assert_eq!(
            installed_label("Django 5.2/6.1 / uvicorn 0.54 (ASGI, async views)", &p),
            "Django 5.2.9 / uvicorn 0.54 (ASGI, async views)",
            "uvicorn is not installed here: left as written"
        );
    }

    #[test]
    fn a_name_without_a_version_gets_one_and_other_words_stay() {
        let p = pk(&[("express", "5.3.0"), ("flask_sock", "0.7.0"), ("http", "9")]);
        assert_eq!(installed_label("Express", &p), "Express 5.3.0");
        assert_eq!(
            installed_label("Flask-Sock, ws", &p),
            "Flask-Sock 0.7.0, ws"
        );
        assert_eq!(
            installed_label("node:http (Node.js, no framework)", &p),
            "node:http (Node.js, no framework)"
        );
        assert_eq!(
            installed_label("Express 5.3", &BTreeMap::new()),
            "Express 5.3"
        );
    }
}
