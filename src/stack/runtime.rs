//! The runtime check: run `[runtime] command` once with a short timeout, find
//! the first dotted version in its output and compare it to `min_version`.

use std::time::Duration;

use super::{RuntimeStatus, Stack};
use crate::proc::run::{resolve_program, run_captured};

/// How long a runtime check may take.
pub const RUNTIME_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the manifest's runtime check (no `[runtime]` section: present, version `-`).
pub fn runtime_status(stack: &Stack) -> RuntimeStatus {
    let Some(rt) = &stack.runtime else {
        return RuntimeStatus::Present {
            version: "-".into(),
        };
    };
    if let Some(b) = stack
        .binding
        .as_ref()
        .filter(|b| b.kind == "node" && b.managed)
        && !super::node::is_installed(&b.home, &b.version)
    {
        return RuntimeStatus::Missing {
            reason: format!(
                "{} not installed yet (`ringside setup` downloads it from npm)",
                b.version
            ),
        };
    }
    check(stack, &rt.command, rt.min_version.as_deref())
}

/// The version `[runtime] version_command` reports once the stack is
/// installed (a runtime its install step brings), else the check's version.
pub fn installed_version(stack: &Stack) -> Option<String> {
    let rt = stack.runtime.as_ref()?;
    // `min_version` is about the check command (what the install needs).
    let (argv, min) = match &rt.version_command {
        Some(v) => (v, None),
        None => (&rt.command, rt.min_version.as_deref()),
    };
    match check(stack, argv, min) {
        RuntimeStatus::Present { version } => Some(version),
        RuntimeStatus::Missing { .. } => None,
    }
}

/// Runs `argv` in the stack folder and compares its version with `min_version`.
fn check(stack: &Stack, argv: &[String], min_version: Option<&str>) -> RuntimeStatus {
    let program = resolve_program(&stack.dir, &argv[0]);
    let out = match run_captured(
        &program,
        &argv[1..],
        &stack.dir,
        &stack.env,
        RUNTIME_CHECK_TIMEOUT,
    ) {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let place = if argv[0].contains('/') {
                format!("not found in {}", stack.dir.display())
            } else {
                "not found on PATH".to_string()
            };
            return RuntimeStatus::Missing {
                reason: format!("`{}` {place}", argv[0]),
            };
        }
        Err(e) => {
            return RuntimeStatus::Missing {
                reason: format!("`{}` could not run: {e}", argv.join(" ")),
            };
        }
    };
    let text = format!("{}\n{}", out.stdout, out.stderr);
    if out.timed_out {
        return RuntimeStatus::Missing {
            reason: format!(
                "`{}` did not finish within {}s",
                argv.join(" "),
                RUNTIME_CHECK_TIMEOUT.as_secs()
            ),
        };
    }
    if !out.success {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return RuntimeStatus::Missing {
            reason: format!(
                "`{}` failed ({}): {}",
                argv.join(" "),
                out.status,
                first.trim()
            ),
        };
    }
    let Some((found, version)) = find_version(&text) else {
        return RuntimeStatus::Missing {
            reason: format!("`{}` printed no version number", argv.join(" ")),
        };
    };
    if let Some(min) = min_version
        && let Some(min_v) = parse_version(min)
        && !version_at_least(&version, &min_v)
    {
        return RuntimeStatus::Missing {
            reason: format!("{} {found} found, {min} or newer required", argv[0]),
        };
    }
    RuntimeStatus::Present { version: found }
}

/// Parses `1.2.3` (leading `v` allowed) into numeric components.
pub fn parse_version(s: &str) -> Option<Vec<u64>> {
    let s = s.trim().trim_start_matches('v');
    let parts: Option<Vec<u64>> = s.split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty())
}

/// The first dotted number (`\d+(\.\d+)+`) in `text`, as written and parsed.
/// Components are compared numerically; missing trailing ones count as 0.
pub fn find_version(text: &str) -> Option<(String, Vec<u64>)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit()
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'v')
        {
            let start = i;
            let mut end = i;
            let mut dots = 0;
            while end < bytes.len() {
                if bytes[end].is_ascii_digit() {
                    end += 1;
                } else if bytes[end] == b'.'
                    && end + 1 < bytes.len()
                    && bytes[end + 1].is_ascii_digit()
                {
                    dots += 1;
                    end += 1;
                } else {
                    break;
                }
            }
            if dots > 0 {
                let found = &text[start..end];
                return parse_version(found).map(|v| (found.to_string(), v));
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

/// True when `have` >= `need`, comparing numerically with missing parts as 0.
pub fn version_at_least(have: &[u64], need: &[u64]) -> bool {
    let n = have.len().max(need.len());
    let get = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    for i in 0..n {
        match get(have, i).cmp(&get(need, i)) {
            std::cmp::Ordering::Greater => return true,
            std::cmp::Ordering::Less => return false,
            std::cmp::Ordering::Equal => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_first_dotted_version() {
        assert_eq!(find_version("v20.11.1\n").unwrap().0, "20.11.1");
        assert_eq!(find_version("Python 3.11.7").unwrap().0, "3.11.7");
        assert_eq!(
            find_version("cargo 1.85.0 (d73d2caf9 2024-12-31)")
                .unwrap()
                .0,
            "1.85.0"
        );
        assert!(find_version("no version 12 here").is_none());
    }

    #[test]
    fn compares_numerically() {
        assert!(version_at_least(&[20, 11, 1], &[18, 0]));
        assert!(version_at_least(&[3, 10], &[3, 9]));
        assert!(!version_at_least(&[3, 9], &[3, 10]));
        assert!(version_at_least(&[18], &[18, 0, 0]));
    }
}
