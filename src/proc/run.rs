//! Running short-lived commands (runtime checks, install commands): each in
//! its own process group, killed if ringside exits, output drained on its own
//! threads into a [`Tail`]. Install commands go through the [`Spawner`] trait
//! so tests can script their outcomes ([`ScriptedSpawner`]).

use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::guard;

/// The last lines of a child's output (a ring buffer).
#[derive(Debug, Clone)]
pub struct Tail {
    lines: VecDeque<String>,
    cap: usize,
}

impl Tail {
    pub fn new(cap: usize) -> Self {
        Tail {
            lines: VecDeque::with_capacity(cap.min(1024)),
            cap: cap.max(1),
        }
    }

    pub fn push(&mut self, line: String) {
        if self.lines.len() == self.cap {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// The last `n` lines, oldest first.
    pub fn last(&self, n: usize) -> Vec<String> {
        let skip = self.lines.len().saturating_sub(n);
        self.lines.iter().skip(skip).cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Resolves `argv[0]`: a relative path with a `/` (`.venv/bin/python`) is
/// taken relative to the stack folder and made absolute (the child starts in
/// that folder, so a relative result would be resolved twice); a bare name
/// is looked up on PATH.
pub fn resolve_program(dir: &Path, program: &str) -> OsString {
    let p = Path::new(program);
    if program.contains('/') && p.is_relative() {
        let joined = dir.join(p);
        std::path::absolute(&joined)
            .unwrap_or(joined)
            .into_os_string()
    } else {
        OsString::from(program)
    }
}

/// Output of [`run_captured`].
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub stdout: String,
    pub stderr: String,
    /// `exit status 0`, `signal 9`, ...
    pub status: String,
    pub success: bool,
    pub timed_out: bool,
}

/// Runs a command to completion (killed after `timeout`), capturing its output.
/// A missing program is an `io::ErrorKind::NotFound` error.
pub fn run_captured(
    program: &OsString,
    args: &[String],
    dir: &Path,
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> std::io::Result<Captured> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = super::deathsig::arm(&mut cmd).spawn()?;
    let pgid = child.id() as i32;
    let _guard = guard::kill_group_on_exit(format!("command {}", program.to_string_lossy()), pgid);
    let read_all = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(r) = r {
                let _ = r.take(1 << 20).read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = read_all(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = read_all(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            guard::kill_group(pgid);
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The group is killed when `_guard` drops, so the pipes close and the readers end.
    drop(_guard);
    Ok(Captured {
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        status: describe_status(&status),
        success: status.success() && !timed_out,
        timed_out,
    })
}

/// `exit status 1` or `signal 9`.
pub fn describe_status(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(s)) => format!("signal {s}"),
        _ => status.to_string(),
    }
}

/// One command for a [`Spawner`].
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub argv: Vec<String>,
    /// Working directory; a relative `argv[0]` with a `/` resolves against it.
    pub dir: PathBuf,
    pub env: BTreeMap<String, String>,
    /// Echo the command's output to our stderr as it arrives.
    pub echo: bool,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutcome {
    pub success: bool,
    /// `exit status 1`, `signal 9`, ...
    pub status: String,
    /// Last lines of stderr (of stdout when stderr was empty), oldest first.
    pub tail: Vec<String>,
}

/// Runs commands to completion. [`RealSpawner`] runs them; [`ScriptedSpawner`]
/// replays outcomes for tests.
pub trait Spawner: Send + Sync {
    /// Runs `spec`; `Err` only when the command could not be started.
    fn run(&self, spec: &CommandSpec) -> std::io::Result<CommandOutcome>;
}

/// Lines of output kept for error messages.
pub const TAIL_LINES: usize = 20;

/// Runs real processes, each in its own process group, killed on every exit path.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealSpawner;

impl Spawner for RealSpawner {
    fn run(&self, spec: &CommandSpec) -> std::io::Result<CommandOutcome> {
        let program = resolve_program(&spec.dir, &spec.argv[0]);
        let mut cmd = Command::new(&program);
        cmd.args(&spec.argv[1..])
            .current_dir(&spec.dir)
            .envs(&spec.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = super::deathsig::arm(&mut cmd).spawn()?;
        let pgid = child.id() as i32;
        let guard = guard::kill_group_on_exit(format!("command {}", spec.argv.join(" ")), pgid);
        let drain = |r: Option<Box<dyn Read + Send>>, echo: bool| {
            std::thread::spawn(move || {
                let mut tail = Tail::new(TAIL_LINES);
                if let Some(r) = r {
                    let mut reader = BufReader::new(r);
                    let mut buf = Vec::new();
                    while reader.read_until(b'\n', &mut buf).unwrap_or(0) > 0 {
                        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                        if echo {
                            eprintln!("{line}");
                        }
                        tail.push(line);
                        buf.clear();
                    }
                }
                tail
            })
        };
        let out = drain(
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            spec.echo,
        );
        let err = drain(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            spec.echo,
        );
        let status = child.wait()?;
        // Kill leftovers of the group (a daemonised helper would hold the pipes open).
        drop(guard);
        let out = out.join().unwrap_or_else(|_| Tail::new(1));
        let err = err.join().unwrap_or_else(|_| Tail::new(1));
        let tail = if err.is_empty() { out } else { err };
        Ok(CommandOutcome {
            success: status.success(),
            status: describe_status(&status),
            tail: tail.last(TAIL_LINES),
        })
    }
}

/// Replays scripted outcomes in order and records the commands it was given.
/// When the script runs out, every further command succeeds.
#[derive(Debug, Default, Clone)]
pub struct ScriptedSpawner {
    outcomes: Arc<Mutex<VecDeque<CommandOutcome>>>,
    calls: Arc<Mutex<Vec<Vec<String>>>>,
}

impl ScriptedSpawner {
    pub fn new(outcomes: impl IntoIterator<Item = CommandOutcome>) -> Self {
        ScriptedSpawner {
            outcomes: Arc::new(Mutex::new(outcomes.into_iter().collect())),
            calls: Arc::default(),
        }
    }

    /// A successful outcome.
    pub fn ok() -> CommandOutcome {
        CommandOutcome {
            success: true,
            status: "exit status 0".into(),
            tail: vec![],
        }
    }

    /// A failed outcome with these stderr lines.
    pub fn fail(code: i32, tail: &[&str]) -> CommandOutcome {
        CommandOutcome {
            success: false,
            status: format!("exit status {code}"),
            tail: tail.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The argv of every command run so far.
    pub fn calls(&self) -> Vec<Vec<String>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Spawner for ScriptedSpawner {
    fn run(&self, spec: &CommandSpec) -> std::io::Result<CommandOutcome> {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(spec.argv.clone());
        Ok(self
            .outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
            .unwrap_or_else(Self::ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_program_resolves_against_the_stack_folder_absolutely() {
        let p = resolve_program(Path::new("stacks/py"), ".venv/bin/python");
        let p = Path::new(&p);
        assert!(p.is_absolute());
        assert!(p.ends_with("stacks/py/.venv/bin/python"));
        assert_eq!(resolve_program(Path::new("stacks/py"), "node"), "node");
    }

    #[test]
    fn tail_keeps_last_lines() {
        let mut t = Tail::new(3);
        for i in 0..5 {
            t.push(i.to_string());
        }
        assert_eq!(t.last(10), ["2", "3", "4"]);
        assert_eq!(t.last(1), ["4"]);
    }

    #[test]
    fn real_spawner_reports_failure_with_stderr() {
        let spec = CommandSpec {
            argv: vec![
                "sh".into(),
                "-c".into(),
                "echo out; echo bad >&2; exit 3".into(),
            ],
            dir: std::env::temp_dir(),
            env: BTreeMap::new(),
            echo: false,
        };
        let o = RealSpawner.run(&spec).unwrap();
        assert!(!o.success);
        assert_eq!(o.status, "exit status 3");
        assert_eq!(o.tail, ["bad"]);
    }

    #[test]
    fn run_captured_times_out() {
        let o = run_captured(
            &OsString::from("sleep"),
            &["5".into()],
            &std::env::temp_dir(),
            &BTreeMap::new(),
            Duration::from_millis(100),
        )
        .unwrap();
        assert!(o.timed_out);
        assert!(!o.success);
    }
}
