//! The run's events ([`Report`], criterion-style: every hook has a no-op
//! default). The live progress display and the results writer both listen to
//! the same run through [`Reporters`].

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::results::{CapacityRecord, Point, Results};

/// Where the run is: which stack, scenario, trial and point.
#[derive(Debug, Clone, Default)]
pub struct Position {
    pub stack: String,
    pub scenario: String,
    pub trial: u32,
    pub trials: u32,
    /// What is being measured (`peak c=64`, `rate 500 rps`, `capacity step 2`).
    pub what: String,
}

/// Hooks called as the run goes. `results` is the whole file as it stands.
#[allow(unused_variables)]
pub trait Report {
    /// The run starts; `planned` is the estimated measuring time.
    fn run_started(&mut self, results: &Results, planned: Duration) -> anyhow::Result<()> {
        Ok(())
    }
    /// A load is about to be driven for about `expected`.
    fn measuring(&mut self, at: &Position, expected: Duration) {}
    /// A note for the user (stack skipped, verification failed, crash...).
    fn note(&mut self, message: &str) {}
    /// The run grew beyond its plan by about `more` (an adaptive round).
    fn extended(&mut self, more: Duration) {}
    /// The planned rounds were fitted again to the budget: about `left` of
    /// measuring remains of the plan (after what is being done now).
    fn replanned(&mut self, left: Duration) {}
    /// A point was measured and added to `results`.
    fn point_measured(&mut self, results: &Results, point: &Point) -> anyhow::Result<()> {
        Ok(())
    }
    /// A capacity search finished and was added to `results`.
    fn capacity_measured(
        &mut self,
        results: &Results,
        record: &CapacityRecord,
    ) -> anyhow::Result<()> {
        Ok(())
    }
    /// Anything else in `results` changed (stack records, startup, idle...).
    fn updated(&mut self, results: &Results) -> anyhow::Result<()> {
        Ok(())
    }
    /// The run is over (finished or stopped by an error).
    fn run_finished(&mut self, results: &Results) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Several reports listening to one run, called in order.
#[derive(Default)]
pub struct Reporters(pub Vec<Box<dyn Report>>);

impl Report for Reporters {
    fn run_started(&mut self, results: &Results, planned: Duration) -> anyhow::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|r| r.run_started(results, planned))
    }
    fn measuring(&mut self, at: &Position, expected: Duration) {
        self.0.iter_mut().for_each(|r| r.measuring(at, expected))
    }
    fn note(&mut self, message: &str) {
        self.0.iter_mut().for_each(|r| r.note(message))
    }
    fn extended(&mut self, more: Duration) {
        self.0.iter_mut().for_each(|r| r.extended(more))
    }
    fn replanned(&mut self, left: Duration) {
        self.0.iter_mut().for_each(|r| r.replanned(left))
    }
    fn point_measured(&mut self, results: &Results, point: &Point) -> anyhow::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|r| r.point_measured(results, point))
    }
    fn capacity_measured(
        &mut self,
        results: &Results,
        record: &CapacityRecord,
    ) -> anyhow::Result<()> {
        self.0
            .iter_mut()
            .try_for_each(|r| r.capacity_measured(results, record))
    }
    fn updated(&mut self, results: &Results) -> anyhow::Result<()> {
        self.0.iter_mut().try_for_each(|r| r.updated(results))
    }
    fn run_finished(&mut self, results: &Results) -> anyhow::Result<()> {
        self.0.iter_mut().try_for_each(|r| r.run_finished(results))
    }
}

/// Says which stacks a first run installs before measuring, with a rough
/// time each; returns their total, which the run's estimate includes.
pub fn announce_installs(report: &mut dyn Report, installs: &[(String, Duration)]) -> Duration {
    let total: Duration = installs.iter().map(|i| i.1).sum();
    if !installs.is_empty() {
        let each: Vec<String> = installs
            .iter()
            .map(|(name, d)| format!("{name} ~{}", humantime::format_duration(*d)))
            .collect();
        report.note(&format!(
            "first run: {} stack(s) to install before they are measured, about {} ({}); cached for later runs",
            installs.len(),
            humantime::format_duration(total),
            each.join(", ")
        ));
    }
    total
}

/// What a point's load is, in a few words (`peak c=64`, `rate 500 rps`).
pub fn point_line_kind(kind: &crate::results::PointKind) -> String {
    use crate::results::PointKind;
    match kind {
        PointKind::Peak { connections } => format!("peak c={connections}"),
        PointKind::FixedRate { rps } => format!("rate {rps} rps"),
        PointKind::Io { connections } => format!("io c={connections}"),
        PointKind::Ws { clients, .. } => format!("ws {clients} clients"),
    }
}

/// One line summarising a point, for progress output.
pub fn point_line(p: &Point) -> String {
    let what = point_line_kind(&p.kind);
    let figures = match (&p.load, &p.ws) {
        (Some(l), _) => format!(
            "{:.0} req/s  p50 {:.2} ms  p99 {:.2} ms",
            l.throughput_rps,
            l.latency.p50_us as f64 / 1000.0,
            l.latency.p99_us as f64 / 1000.0
        ),
        (None, Some(w)) => format!(
            "{:.0} deliveries/s  p50 {:.2} ms  p99 {:.2} ms  lost {}",
            w.delivered_per_s,
            w.latency.p50_us as f64 / 1000.0,
            w.latency.p99_us as f64 / 1000.0,
            w.lost
        ),
        _ => String::from("-"),
    };
    let per = if p.ws.is_some() { "delivery" } else { "req" };
    let cpu = p
        .server
        .cpu_us_per_req
        .map(|c| format!("  {c:.0} CPU-µs/{per}"))
        .unwrap_or_default();
    let invalid = if p.valid { "" } else { "  [invalid]" };
    format!(
        "{} {} (w={}) trial {}: {what}: {figures}{cpu}{invalid}",
        p.stack, p.scenario, p.workers, p.trial
    )
}

/// Live progress: an indicatif bar on a terminal (stack, scenario, trial,
/// time left), plain lines on stderr otherwise.
///
/// The time left is the run's own estimate — the plan's estimated time less
/// what is done, the current item counted up to its own estimate — never a
/// rate extrapolated from the elapsed time (which, during a long install,
/// would read years).
pub struct Progress {
    bar: Option<ProgressBar>,
    clock: std::sync::Arc<std::sync::Mutex<Clock>>,
}

/// Estimated milliseconds done before the current item, and the current item.
#[derive(Debug, Clone, Copy)]
struct Clock {
    done_ms: u64,
    current_ms: u64,
    current_started: std::time::Instant,
}

impl Clock {
    /// Estimated milliseconds done: the finished items, and the current one
    /// up to its estimate.
    fn position_ms(&self) -> u64 {
        let current = self.current_started.elapsed().as_millis() as u64;
        self.done_ms + current.min(self.current_ms)
    }
}

/// The bar's length, milliseconds, once the plan is fitted again with
/// `done_ms` done (the current item included) and `left` to come.
pub fn replanned_length(done_ms: u64, left: Duration) -> u64 {
    (done_ms + left.as_millis() as u64).max(1)
}

/// Estimated time left of a run `length_ms` long with `done_ms` done.
pub fn time_left(length_ms: u64, done_ms: u64) -> Duration {
    Duration::from_secs(length_ms.saturating_sub(done_ms).div_ceil(1000))
}

impl Progress {
    /// A bar when stderr is a terminal and `plain` is false.
    pub fn new(plain: bool) -> Progress {
        let clock = std::sync::Arc::new(std::sync::Mutex::new(Clock {
            done_ms: 0,
            current_ms: 0,
            current_started: std::time::Instant::now(),
        }));
        let bar = (!plain && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(1);
            let c = clock.clone();
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} ~{left} left  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key(
                    "left",
                    move |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let done = c.lock().map(|c| c.position_ms()).unwrap_or(state.pos());
                        let left = time_left(state.len().unwrap_or(0), done);
                        let _ = write!(w, "{}", humantime::format_duration(left));
                    },
                ),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar, clock }
    }

    fn line(&self, s: &str) {
        match &self.bar {
            Some(bar) => bar.println(s),
            None => {
                let _ = writeln!(std::io::stderr(), "{s}");
            }
        }
    }
}

/// The run's first line: the planned rounds' estimate and, when adaptive
/// rounds may follow, the budget they may take the run to (a default run
/// adds rounds up to its 10 minutes: a header giving only the planned
/// estimate promised 6m 50s for a run that took 9m 45s).
pub(crate) fn run_header(
    suite: &str,
    rounds: u32,
    planned: Duration,
    adaptive: Option<&crate::results::AdaptiveSettings>,
) -> String {
    let planned = humantime::format_duration(Duration::from_secs(planned.as_secs()));
    let head = format!("ringside run ({suite} suite, {rounds} round(s) of trials)");
    match adaptive {
        None => format!("{head}, about {planned} in all (installs included)"),
        Some(a) => {
            let budget = humantime::format_duration(Duration::from_secs(a.budget_s.round() as u64));
            let until = if a.until_decided {
                "until every claim is decided"
            } else {
                "while claims stay undecided"
            };
            format!(
                "{head}, about {planned} planned (installs included), then further rounds {until}, up to {budget} in all (--budget)"
            )
        }
    }
}

impl Report for Progress {
    fn run_started(&mut self, results: &Results, planned: Duration) -> anyhow::Result<()> {
        if let Some(bar) = &self.bar {
            bar.set_length(planned.as_millis().max(1) as u64);
        }
        let rounds = super::plan::round_count(&results.settings.plan, results.settings.trials);
        self.line(&run_header(
            &results.settings.suite,
            rounds,
            planned,
            results.settings.plan.adaptive.as_ref(),
        ));
        Ok(())
    }
    fn measuring(&mut self, at: &Position, expected: Duration) {
        let done = match self.clock.lock() {
            Ok(mut c) => {
                c.done_ms += c.current_ms;
                c.current_ms = expected.as_millis() as u64;
                c.current_started = std::time::Instant::now();
                c.done_ms
            }
            Err(_) => 0,
        };
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} · {} · trial {}/{} · {}",
                at.stack, at.scenario, at.trial, at.trials, at.what
            ));
            bar.set_position(done.min(bar.length().unwrap_or(u64::MAX)));
        }
    }
    fn extended(&mut self, more: Duration) {
        if let Some(bar) = &self.bar {
            bar.inc_length(more.as_millis() as u64);
        }
    }
    fn replanned(&mut self, left: Duration) {
        if let Some(bar) = &self.bar {
            let done = self
                .clock
                .lock()
                .map_or(bar.position(), |c| c.done_ms + c.current_ms);
            bar.set_length(replanned_length(done, left));
        }
    }
    fn note(&mut self, message: &str) {
        self.line(message);
    }
    fn point_measured(&mut self, _results: &Results, point: &Point) -> anyhow::Result<()> {
        self.line(&point_line(point));
        Ok(())
    }
    fn capacity_measured(&mut self, _results: &Results, r: &CapacityRecord) -> anyhow::Result<()> {
        let cap = r
            .capacity
            .map_or("none".to_string(), |c| format!("{c:.0} {}", r.unit));
        self.line(&format!(
            "{} {} (w={}) trial {}: capacity at p99 < {} ms: {cap} (stopped by {}; steps {})",
            r.stack,
            r.scenario,
            r.workers,
            r.trial,
            r.slo_ms,
            r.limited_by,
            steps_text(&r.steps)
        ));
        Ok(())
    }
    fn run_finished(&mut self, _results: &Results) -> anyhow::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        Ok(())
    }
}

/// A capacity search's steps in order, as the terminal line says them:
/// `1951 ok, 2066 slo, 2009 ok`.
fn steps_text(steps: &[crate::results::CapacityStep]) -> String {
    let each: Vec<String> = steps
        .iter()
        .map(|s| {
            let why = s
                .failed_by
                .as_deref()
                .unwrap_or(if s.passed { "ok" } else { "failed" });
            format!("{:.0} {why}", s.offered)
        })
        .collect();
    if each.is_empty() {
        "none".into()
    } else {
        each.join(", ")
    }
}

/// Rewrites `results.json` atomically (temp file + rename) on every change.
pub struct ResultsWriter {
    pub path: std::path::PathBuf,
}

impl ResultsWriter {
    pub fn new(dir: &std::path::Path) -> ResultsWriter {
        ResultsWriter {
            path: dir.join("results.json"),
        }
    }
}

/// Writes `results` to `path` atomically: a crash leaves the old or the new file, never half.
pub fn write_atomic(path: &std::path::Path, results: &Results) -> anyhow::Result<()> {
    use anyhow::Context;
    if crate::proc::guard::interrupted() {
        // The interrupt's cleanup is stopping the stacks: what the run sees
        // from now on (servers gone) is not a measurement; the last file stands.
        return Ok(());
    }
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    // 0666 less the umask, like every other output (a plain temp file is 0600).
    let mut tmp = tempfile::Builder::new()
        .prefix(".results.json.")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| exhausted(path, e))
        .with_context(|| format!("writing results in {}", dir.display()))?;
    let bytes = serde_json::to_vec_pretty(results)?;
    let written = tmp
        .as_file_mut()
        .write_all(&bytes)
        .and_then(|()| tmp.as_file_mut().sync_all());
    // On failure the temporary file is removed and the last good file stands.
    written.map_err(|e| exhausted(path, e))?;
    tmp.persist(path)
        .map_err(|e| exhausted(path, e.error))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A write error, in a sentence when the machine ran out of room: the
/// file-size limit (`ulimit -f`; SIGXFSZ is handled, so the write fails with
/// EFBIG instead of killing ringside), a full disk or a quota.
fn exhausted(path: &std::path::Path, e: std::io::Error) -> anyhow::Error {
    let why = match e.raw_os_error() {
        Some(libc::EFBIG) => "the file-size limit (ulimit -f) is reached",
        Some(libc::ENOSPC) => "the disk is full",
        Some(libc::EDQUOT) => "the disk quota is used up",
        _ => return anyhow::Error::new(e),
    };
    let so_far = if path.is_file() {
        format!("results so far are in {}", path.display())
    } else {
        "nothing was written".to_string()
    };
    anyhow::anyhow!(
        "cannot write {}: {why}; {so_far}",
        path.file_name()
            .map_or("results.json".into(), |n| n.to_string_lossy())
    )
}

/// Makes a write past the file-size limit fail with EFBIG (and a sentence)
/// instead of SIGXFSZ killing the process without a word. A handler, not
/// SIG_IGN: handlers are reset by exec, so the servers ringside launches keep
/// the default.
pub fn survive_file_size_limit() {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, flag);
}

impl Report for ResultsWriter {
    fn run_started(&mut self, results: &Results, _planned: Duration) -> anyhow::Result<()> {
        write_atomic(&self.path, results)
    }
    fn point_measured(&mut self, results: &Results, _point: &Point) -> anyhow::Result<()> {
        write_atomic(&self.path, results)
    }
    fn capacity_measured(&mut self, results: &Results, _r: &CapacityRecord) -> anyhow::Result<()> {
        write_atomic(&self.path, results)
    }
    fn updated(&mut self, results: &Results) -> anyhow::Result<()> {
        write_atomic(&self.path, results)
    }
    fn run_finished(&mut self, results: &Results) -> anyhow::Result<()> {
        write_atomic(&self.path, results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 20: during a long install the bar read "~3371y left", a rate
    /// extrapolated from the elapsed time; the run's own estimate is used.
    #[test]
    fn time_left_is_the_estimate_less_what_is_done_and_never_runs_away() {
        assert_eq!(time_left(600_000, 0), Duration::from_secs(600));
        assert_eq!(time_left(600_000, 599_001), Duration::from_secs(1));
        assert_eq!(time_left(600_000, 700_000), Duration::ZERO);
        // An install expected to take 150 s counts up to its estimate and
        // no further, however long it really takes.
        let clock = Clock {
            done_ms: 10_000,
            current_ms: 150_000,
            current_started: std::time::Instant::now() - Duration::from_secs(400),
        };
        assert_eq!(clock.position_ms(), 160_000);
        assert_eq!(
            time_left(400_000, clock.position_ms()),
            Duration::from_secs(240)
        );
    }

    #[test]
    fn the_header_names_the_budget_when_adaptive_rounds_may_follow() {
        let planned = Duration::from_secs(410);
        let none = run_header("standard", 3, planned, None);
        assert_eq!(
            none,
            "ringside run (standard suite, 3 round(s) of trials), about 6m 50s in all (installs included)"
        );
        let mut a = crate::results::AdaptiveSettings {
            budget_s: 600.0,
            until_decided: false,
            fit_planned: true,
        };
        let default = run_header("standard", 3, planned, Some(&a));
        assert!(default.contains("about 6m 50s planned"), "{default}");
        assert!(
            default.contains("while claims stay undecided, up to 10m in all"),
            "{default}"
        );
        a.until_decided = true;
        a.budget_s = 1800.0;
        let until = run_header("standard", 3, planned, Some(&a));
        assert!(
            until.contains("until every claim is decided, up to 30m in all"),
            "{until}"
        );
    }

    #[test]
    fn the_capacity_line_lists_each_step_in_order_with_why_it_failed() {
        let step =
            |offered: f64, passed: bool, failed_by: Option<&str>| crate::results::CapacityStep {
                offered,
                achieved: offered,
                p99_us: 1,
                errors: 0,
                passed,
                failed_by: failed_by.map(str::to_string),
                generator_utilization: None,
            };
        assert_eq!(
            steps_text(&[
                step(1951.4, true, None),
                step(2066.0, false, Some("slo")),
                step(2009.0, false, None),
            ]),
            "1951 ok, 2066 slo, 2009 failed"
        );
        assert_eq!(steps_text(&[]), "none");
    }
}
