//! Installing several stacks at once (`ringside setup`, and `ringside run`
//! before its first measurement). An install waits either on the network
//! (`npm ci`, `pip install` from a cache) or on the CPU (rust-axum's fat-LTO
//! `cargo build`, better-sqlite3 compiled by node-gyp): side by side, the
//! downloads hide behind the compiles instead of following them.
//!
//! Two rules keep that from doing work twice: stacks that share a folder
//! (a stack and its variants) install once, and the stacks on one managed
//! Node.js install one after the other, so the first one's native build is
//! packed into the runtime's shared prebuilds
//! ([`super::node::share_native_builds`]) before the next one's `npm ci`
//! looks for it. The longest chains start first; at most [`LANES`] installs
//! run at once.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{SetupOpts, SetupOutcome, Stack};

/// Installs running at once on a machine with more than two cores: one
/// compile per core, plus one download beside them.
pub const LANES: usize = 3;

/// Installs to run at once by default on this machine ([`lanes_for`] its
/// cores).
pub fn default_lanes() -> usize {
    lanes_for(std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// One install at a time on two cores or fewer, [`LANES`] above. Measured
/// on the 2-core machine this was tuned on (README, *First run*): the
/// installs one after another took 276 s (rust-axum 122 s, node-express's
/// better-sqlite3 60 s), side by side 300 s and 333 s — there the two
/// compiles stretch each other to 300 s and 190–219 s, more than they gain
/// by overlapping the downloads.
pub fn lanes_for(cores: usize) -> usize {
    if cores <= 2 { 1 } else { LANES }
}

/// One stack's install as [`setup_all`] ran it.
#[derive(Debug)]
pub struct Installed {
    /// The stack's name.
    pub name: String,
    /// Its folder (shared with its variants).
    pub dir: PathBuf,
    /// What [`super::setup`] returned.
    pub outcome: anyhow::Result<SetupOutcome>,
}

/// What a caller hears while [`setup_all`] runs (from the install threads).
pub trait SetupEvents: Sync {
    /// `stack`'s install starts.
    fn started(&self, _stack: &Stack) {}
    /// `stack`'s install ended.
    fn finished(&self, _stack: &Stack, _outcome: &anyhow::Result<SetupOutcome>) {}
}

/// No output.
pub struct Silent;
impl SetupEvents for Silent {}

/// The order installs run in: chains of stacks that must not overlap, the
/// longest (by [`super::expected_install`]) first. A stack whose folder an
/// earlier one has is left out (it shares that install).
pub fn chains(stacks: &[Stack]) -> Vec<Vec<Stack>> {
    let mut chains: Vec<(String, Vec<Stack>)> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for s in stacks {
        if seen.contains(&s.dir) {
            continue;
        }
        seen.push(s.dir.clone());
        let key = chain_key(s);
        match chains.iter_mut().find(|(k, _)| *k == key) {
            Some((_, c)) => c.push(s.clone()),
            None => chains.push((key, vec![s.clone()])),
        }
    }
    let length = |c: &[Stack]| -> Duration { c.iter().map(super::expected_install).sum() };
    // Stable: equal chains keep the order given.
    chains.sort_by_key(|(_, c)| std::cmp::Reverse(length(c)));
    chains.into_iter().map(|(_, c)| c).collect()
}

/// Stacks on one managed Node.js share its prebuilds: one chain a runtime
/// home. Any other stack is a chain of its own (keyed by its folder).
fn chain_key(s: &Stack) -> String {
    match &s.binding {
        Some(b) if b.kind == "node" && b.managed => format!("node:{}", b.home.display()),
        _ => format!("dir:{}", s.dir.display()),
    }
}

/// Installs `stacks` ([`super::setup`] each; the commands' output is
/// echoed only when one chain runs alone and `opts` is not quiet) in [`chains`] on up to `lanes` threads.
/// Returns one [`Installed`] a folder, in the order the installs ended.
pub fn setup_all(
    stacks: &[Stack],
    opts: &SetupOpts,
    lanes: usize,
    events: &dyn SetupEvents,
) -> Vec<Installed> {
    let chains = chains(stacks);
    // One install alone may echo its commands' output; several would mix it.
    let opts = SetupOpts {
        quiet: opts.quiet || chains.len() > 1,
        ..opts.clone()
    };
    let queue = Mutex::new(VecDeque::from(chains));
    let done = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..lanes.max(1) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                    let Some(chain) = next else { break };
                    for s in chain {
                        events.started(&s);
                        let outcome = super::setup(&s, &opts);
                        events.finished(&s, &outcome);
                        done.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(Installed {
                                name: s.name.clone(),
                                dir: s.dir.clone(),
                                outcome,
                            });
                    }
                }
            });
        }
    });
    done.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// `12.3 s` or `2 min 05 s`.
pub fn fmt_secs(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        let s = seconds.round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// The lines `setup` ends with: each install's duration, longest first, and
/// the wall time of them all (`wall`) against their sum.
pub fn summary(done: &[Installed], wall: Duration, lanes: usize) -> Vec<String> {
    let mut timed: Vec<(&str, f64)> = done
        .iter()
        .filter_map(|d| match d.outcome {
            Ok(SetupOutcome::Installed { seconds }) => Some((d.name.as_str(), seconds)),
            _ => None,
        })
        .collect();
    if timed.is_empty() {
        return Vec::new();
    }
    timed.sort_by(|a, b| b.1.total_cmp(&a.1));
    let width = timed.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let how = if lanes > 1 {
        "side by side"
    } else {
        "one after another"
    };
    let mut out = vec![format!("install durations ({how}):")];
    for (name, secs) in &timed {
        out.push(format!("  {name:<width$}  {}", fmt_secs(*secs)));
    }
    let sum: f64 = timed.iter().map(|(_, s)| s).sum();
    out.push(format!(
        "  {} installs in {} wall ({} one after the other)",
        timed.len(),
        fmt_secs(wall.as_secs_f64()),
        fmt_secs(sum)
    ));
    out
}

/// [`setup_all`] timed: the installs and the wall time they took.
pub fn setup_all_timed(
    stacks: &[Stack],
    opts: &SetupOpts,
    lanes: usize,
    events: &dyn SetupEvents,
) -> (Vec<Installed>, Duration) {
    let started = Instant::now();
    let done = setup_all(stacks, opts, lanes, events);
    (done, started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::bind::Binding;

    fn stack(name: &str, dir: &str, install: &[&str]) -> Stack {
        let mut s = crate::stack::manifest::parse_str(
            "name = \"x\"\nlanguage = \"other\"\nframework = \"x\"\nscenarios = [\"plaintext\"]\n[start]\ncommand = [\"true\"]\n",
            "stack.toml",
            std::path::Path::new("/x"),
            std::path::Path::new("/x/stack.toml"),
        )
        .unwrap();
        s.name = name.to_string();
        s.dir = PathBuf::from(dir);
        s.install.commands = vec![install.iter().map(|a| a.to_string()).collect()];
        s
    }

    fn on_node(mut s: Stack, home: &str) -> Stack {
        s.binding = Some(Binding {
            kind: "node".into(),
            version: "26.12.1".into(),
            home: PathBuf::from(home),
            managed: true,
            free_threaded: false,
        });
        s
    }

    #[test]
    fn node_stacks_on_one_runtime_chain_and_the_longest_chain_starts_first() {
        let stacks = vec![
            stack("py", "/s/py", &[".venv/bin/pip", "install"]),
            on_node(stack("express", "/n/express", &["npm", "ci"]), "/n"),
            stack("axum", "/s/axum", &["cargo", "build"]),
            on_node(stack("http", "/n/http", &["npm", "ci"]), "/n"),
            on_node(stack("http22", "/m/http", &["npm", "ci"]), "/m"),
            // A variant: same folder as its stack, installed with it.
            stack("axum@x", "/s/axum", &["cargo", "build"]),
        ];
        let names: Vec<Vec<String>> = chains(&stacks)
            .iter()
            .map(|c| c.iter().map(|s| s.name.clone()).collect())
            .collect();
        assert_eq!(
            names,
            vec![
                vec!["express".to_string(), "http".into()],
                vec!["axum".into()],
                vec!["http22".into()],
                vec!["py".into()],
            ]
        );
    }

    #[test]
    fn two_cores_install_one_stack_at_a_time() {
        assert_eq!(lanes_for(1), 1);
        assert_eq!(lanes_for(2), 1);
        assert_eq!(lanes_for(3), LANES);
        assert_eq!(lanes_for(64), LANES);
    }

    #[test]
    fn the_summary_says_how_the_installs_ran() {
        let done = vec![Installed {
            name: "a".into(),
            dir: PathBuf::from("a"),
            outcome: Ok(SetupOutcome::Installed { seconds: 2.0 }),
        }];
        let wall = Duration::from_secs(2);
        assert_eq!(
            summary(&done, wall, 1)[0],
            "install durations (one after another):"
        );
        assert_eq!(
            summary(&done, wall, 2)[0],
            "install durations (side by side):"
        );
    }

    #[test]
    fn installs_run_side_by_side_and_each_is_timed() {
        let d = tempfile::tempdir().unwrap();
        let mk = |name: &str| {
            let dir = d.path().join(name);
            std::fs::create_dir_all(&dir).unwrap();
            stack(name, dir.to_str().unwrap(), &["sleep", "0.6"])
        };
        let stacks = vec![mk("a"), mk("b"), mk("c")];
        let (done, wall) = setup_all_timed(&stacks, &SetupOpts::default(), 3, &Silent);
        assert_eq!(done.len(), 3);
        for d in &done {
            assert!(
                matches!(d.outcome, Ok(SetupOutcome::Installed { seconds }) if seconds >= 0.5),
                "{d:?}"
            );
        }
        // Three 0.6 s installs one after the other would take 1.8 s.
        assert!(wall < Duration::from_millis(1500), "{wall:?}");
        let lines = summary(&done, wall, 3);
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert!(lines[4].contains("3 installs in"), "{lines:?}");
        assert!(lines[4].contains("one after the other"), "{lines:?}");
        // Installed now: a second pass is up to date and times nothing.
        let (again, _) = setup_all_timed(&stacks, &SetupOpts::default(), 3, &Silent);
        assert!(
            again
                .iter()
                .all(|d| matches!(d.outcome, Ok(SetupOutcome::UpToDate)))
        );
        assert!(summary(&again, wall, 3).is_empty());
    }

    #[test]
    fn a_failed_install_is_reported_and_the_others_go_on() {
        let d = tempfile::tempdir().unwrap();
        let ok = d.path().join("ok");
        let bad = d.path().join("bad");
        std::fs::create_dir_all(&ok).unwrap();
        std::fs::create_dir_all(&bad).unwrap();
        let stacks = vec![
            stack("bad", bad.to_str().unwrap(), &["false"]),
            stack("ok", ok.to_str().unwrap(), &["true"]),
        ];
        let done = setup_all(&stacks, &SetupOpts::default(), 1, &Silent);
        let get = |n: &str| done.iter().find(|d| d.name == n).unwrap();
        let err = format!("{:#}", get("bad").outcome.as_ref().unwrap_err());
        assert!(err.contains("installing stack bad"), "{err}");
        assert!(get("ok").outcome.is_ok());
    }

    #[test]
    fn durations_read_in_seconds_then_minutes() {
        assert_eq!(fmt_secs(12.34), "12.3 s");
        assert_eq!(fmt_secs(125.4), "2 min 05 s");
    }
}
