//! The orchestration of `ringside run`: resolve the stacks, install them,
//! provision the database, then run the rounds of the plan ([`super::plan`],
//! executed by [`super::round`]), recording each point as it lands.
//! Bring-your-own servers take the same path without launch.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;

use crate::db::Database;
use crate::error::bad_input_msg;
use crate::scenario::Scenario;
use crate::stack::{self, LaunchOpts, Running, RuntimeStatus, Stack};

use super::config::SuiteConfig;
use super::events::{Position, Report};
use super::target::{External, Target};
use crate::results::{FailureRecord, Results, StackRecord, StackStatus};

/// Name of the stack record of a `--url` server.
pub const EXTERNAL: &str = "external";

/// The run: configuration, results so far, listeners, database.
pub struct Runner<'a> {
    pub cfg: &'a SuiteConfig,
    pub results: Results,
    pub report: &'a mut dyn Report,
    pub db: Option<Database>,
    pub stacks: Vec<Stack>,
    /// Scenarios that passed verification, per stack and kind of launch
    /// (verified at the first launch; later rounds reuse it).
    pub verified: BTreeMap<(String, super::round::Launch), super::round::Verified>,
    /// When the run (this invocation) started.
    pub started: std::time::Instant,
}

/// Finds the stacks to run: built-ins (filtered by name) and `--stack` manifests.
pub fn resolve_stacks(cfg: &SuiteConfig) -> anyhow::Result<Vec<Stack>> {
    if cfg.url.is_some() {
        return Ok(Vec::new());
    }
    let all = if cfg.stacks_root.is_dir() {
        match stack::discover(&cfg.stacks_root) {
            Ok(v) => v,
            Err(e) if !cfg.extra_stacks.is_empty() => {
                eprintln!("warning: built-in stacks not loaded: {e:#}");
                Vec::new()
            }
            Err(e) => return Err(e.context("finding the built-in stacks")),
        }
    } else {
        Vec::new()
    };
    let mut extra = Vec::new();
    for path in &cfg.extra_stacks {
        let s = stack::load_manifest(path)
            .map_err(|e| bad_input_msg(format!("--stack {}: {e:#}", path.display())))?;
        extra.push(s);
    }
    // A name picks a default deployment (`python-flask`) or a variant
    // (`python-flask@sync`); without names, the default run: every stack
    // with `default_run = true`, no variants. `--stack` manifests always run.
    let mut chosen = if cfg.stack_filter.is_empty() {
        stack::default_run(&all)
    } else {
        let known: Vec<Stack> = all.iter().chain(&extra).cloned().collect();
        let mut picked =
            stack::select(&known, &cfg.stack_filter).map_err(crate::error::bad_input)?;
        for (s, why) in super::h2::companions(&known, &picked) {
            eprintln!("note: also measuring {} ({why})", s.name);
            picked.push(s);
        }
        picked
    };
    for s in extra {
        // A manifest named like a built-in replaces it (as in `verify`).
        match chosen.iter().position(|a| a.name == s.name) {
            Some(i) => {
                eprintln!(
                    "note: --stack {}: stack `{}` replaces the built-in stack of that name",
                    s.dir.display(),
                    s.name
                );
                chosen[i] = s;
            }
            None => chosen.push(s),
        }
    }
    let mut chosen = stack::bind::bind(&chosen, &cfg.runtimes, &stack::node::runtimes_root())?;
    if let Some(text) = cfg
        .settings
        .extra
        .get(crate::results::merge::SHARD_KEY)
        .and_then(|v| v.as_str())
    {
        let sh = crate::load::shard::Shard::parse(text)
            .map_err(|why| bad_input_msg(format!("--shard {text}: {why}")))?;
        let total = chosen.len();
        chosen = chosen
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i as u32 % sh.count == sh.index)
            .map(|(_, s)| s)
            .collect();
        if chosen.is_empty() {
            return Err(bad_input_msg(format!(
                "--shard {sh}: there are only {total} stacks to share out, so shard {sh} has none; use at most {total} shards"
            )));
        }
    }
    let all = chosen;
    if all.is_empty() {
        anyhow::bail!(
            "no stacks to run under {} (set RINGSIDE_STACKS_DIR or pass --stack)",
            cfg.stacks_root.display()
        );
    }
    Ok(all)
}

fn new_record(stack: &Stack) -> StackRecord {
    StackRecord {
        name: stack.name.clone(),
        base: Some(stack.base.clone()).filter(|b| !b.is_empty()),
        variant: stack.variant.clone(),
        runtime: Some(stack.runtime_name.clone()).filter(|r| !r.is_empty()),
        threads: Some(stack.threads),
        worker_threads: stack.worker_threads,
        language: stack.language.clone(),
        framework: stack.framework.clone(),
        runtime_version: None,
        packages: BTreeMap::new(),
        db_driver: None,
        status: StackStatus::Measured,
        verify_failures: BTreeMap::new(),
        unsupported: stack.unsupported.clone(),
        startup_ms: Vec::new(),
        rss_fresh_bytes: Vec::new(),
        footprint: None,
        idle: Vec::new(),
        failures: Vec::new(),
    }
}

fn external_record() -> StackRecord {
    StackRecord {
        name: EXTERNAL.into(),
        base: None,
        variant: None,
        runtime: None,
        threads: None,
        worker_threads: false,
        language: "other".into(),
        framework: "user server".into(),
        runtime_version: None,
        packages: BTreeMap::new(),
        db_driver: None,
        status: StackStatus::Measured,
        verify_failures: BTreeMap::new(),
        unsupported: BTreeMap::new(),
        startup_ms: Vec::new(),
        rss_fresh_bytes: Vec::new(),
        footprint: None,
        idle: Vec::new(),
        failures: Vec::new(),
    }
}

impl Runner<'_> {
    pub(crate) fn record(&mut self, name: &str) -> &mut StackRecord {
        let i = self
            .results
            .stacks
            .iter()
            .position(|r| r.name == name)
            .expect("every stack has a record");
        &mut self.results.stacks[i]
    }

    pub(crate) fn updated(&mut self) -> anyhow::Result<()> {
        self.report.updated(&self.results)
    }

    /// True while a stack is still to be measured (not skipped or failed).
    pub(crate) fn is_measured(&self, name: &str) -> bool {
        self.results
            .stacks
            .iter()
            .any(|r| r.name == name && r.status == StackStatus::Measured)
    }

    /// Planned rounds of the run (its settings, as fitted to the budget).
    pub(crate) fn trials(&self) -> u32 {
        super::fit::rounds(&self.results.settings)
    }

    /// Fits the planned rounds again on the time the installs, the
    /// database and the checks took (the header's fit used the installs'
    /// estimate); says so and tells the progress display when the plan
    /// changed. `planned`: the plan's estimated measuring time so far;
    /// returns it for the rounds kept.
    pub(crate) fn refit(&mut self, planned: Duration) -> anyhow::Result<Duration> {
        if self.cfg.resume.is_some() || self.cfg.url.is_some() {
            return Ok(planned);
        }
        let stacks = self.stacks.len();
        let cfg = self.cfg;
        let before = self.results.settings.clone();
        let fitted = super::fit::fit(
            &super::fit::as_asked(&before, &cfg.settings),
            self.started.elapsed().as_secs_f64(),
            false,
            &|s| super::planned_time_of(cfg, s, stacks).as_secs_f64(),
        );
        let (was, now) = (super::fit::rounds(&before), super::fit::rounds(&fitted));
        self.results.settings = fitted;
        match &self.results.settings.plan.fitted {
            Some(f) => {
                let line = f.sentence();
                self.report.note(&line);
            }
            None if was != now => self.report.note(&format!(
                "installs and checks took {} s: the {now} planned rounds fit the budget after all",
                self.started.elapsed().as_secs()
            )),
            None => return Ok(planned),
        }
        let planned = super::planned_time_of(cfg, &self.results.settings, stacks);
        if was != now {
            self.report.replanned(planned);
        }
        self.updated()?;
        Ok(planned)
    }

    pub(crate) fn selected(&self, sc: Scenario) -> bool {
        self.cfg.settings.scenarios.contains(&sc)
    }

    /// Runtime check, install, versions, footprint: once per stack.
    pub async fn prepare(&mut self) -> anyhow::Result<()> {
        if self.cfg.url.is_some() {
            if !self.results.stacks.iter().any(|r| r.name == EXTERNAL) {
                self.results.stacks.push(external_record());
            }
            return self.updated();
        }
        let pending: Vec<Stack> = self
            .stacks
            .iter()
            .filter(|s| !self.results.stacks.iter().any(|r| r.name == s.name))
            .cloned()
            .collect();
        let mut notes = Vec::new();
        for b in pending.iter().filter_map(|s| s.binding.as_ref()) {
            if b.kind == "node" && b.managed && !stack::node::is_installed(&b.home, &b.version) {
                let n = format!(
                    "installing Node.js {} from npm (once, shared by every Node stack)",
                    b.version
                );
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
        }
        for n in &notes {
            self.report.note(n);
        }
        tokio::task::spawn_blocking(move || stack::bind::ensure_runtimes(&pending, &mut |_| {}))
            .await??;
        let mut early = self.install_side_by_side().await?;
        for stack in self.stacks.clone() {
            if self.results.stacks.iter().any(|r| r.name == stack.name) {
                continue; // resumed: prepared already
            }
            let mut rec = new_record(&stack);
            super::h2::record(&mut self.results.settings.extra, &stack);
            match stack::runtime_status(&stack) {
                RuntimeStatus::Missing { reason } => {
                    self.report
                        .note(&format!("{}: skipped: {reason}", stack.name));
                    rec.status = StackStatus::Skipped { reason };
                }
                RuntimeStatus::Present { version } => {
                    rec.runtime_version = Some(version);
                    self.installing(&stack);
                    let s = stack.clone();
                    let opts = stack::SetupOpts {
                        force: false,
                        quiet: true,
                    };
                    let outcome = match early.iter().position(|d| d.dir == s.dir) {
                        Some(i) => early.swap_remove(i).outcome,
                        None => tokio::task::spawn_blocking(move || stack::setup(&s, &opts))
                            .await
                            .map_err(anyhow::Error::from)
                            .and_then(|r| r),
                    };
                    match outcome {
                        Ok(done) => {
                            if let stack::SetupOutcome::Installed { seconds } = done {
                                self.report
                                    .note(&format!("installed {} in {seconds:.0} s", stack.name));
                            }
                            if let Some(v) = stack::runtime::installed_version(&stack) {
                                rec.runtime_version = Some(v);
                            }
                            rec.packages = stack::packages(&stack);
                            rec.framework =
                                stack::framework::installed_label(&stack.framework, &rec.packages);
                            rec.db_driver =
                                stack.databases.get(self.cfg.settings.db.name()).cloned();
                            if self.selected(Scenario::Footprint) {
                                match stack::footprint(&stack) {
                                    Ok(f) => rec.footprint = Some(f),
                                    Err(e) => rec.failures.push(FailureRecord {
                                        scenario: Some(Scenario::Footprint),
                                        trial: None,
                                        message: format!("{e:#}"),
                                        stderr_tail: Vec::new(),
                                    }),
                                }
                            }
                        }
                        Err(e) => {
                            self.report
                                .note(&format!("{}: install failed: {e:#}", stack.name));
                            rec.status = StackStatus::Failed {
                                stage: "install".into(),
                                reason: format!("{e:#}"),
                                stderr_tail: tail_of(&format!("{e:#}")),
                            };
                        }
                    }
                }
            }
            self.results.stacks.push(rec);
            self.updated()?;
        }
        Ok(())
    }

    /// Stacks open their database at startup, so it is provisioned whenever
    /// a stack to measure has a driver for it, whatever the scenarios.
    pub async fn provision_db(&mut self) {
        let kind = self.cfg.settings.db.name();
        let wanted = self.stacks.iter().any(|st| {
            st.databases.contains_key(kind)
                && self
                    .results
                    .stacks
                    .iter()
                    .any(|r| r.name == st.name && r.status == StackStatus::Measured)
        });
        if !wanted || self.cfg.url.is_some() {
            return;
        }
        let dir = self.cfg.out.join("db");
        match crate::db::provision(self.cfg.settings.db, &dir).await {
            Ok(db) => {
                // The run's own PostgreSQL is part of what is measured, not
                // another process on the cores (its postmaster daemonizes
                // away from ringside's process tree).
                if let Some(pid) = db.postgres_pid() {
                    super::foreign::count_as_ours(pid);
                }
                self.db = Some(db)
            }
            Err(e) => {
                let msg = format!(
                    "database {} unavailable, db scenarios not measured: {e:#}",
                    self.cfg.settings.db.name()
                );
                self.report.note(&msg);
                if !self.results.warnings.contains(&msg) {
                    self.results.warnings.push(msg);
                }
            }
        }
    }

    /// The endpoint scenarios to measure on `stack` (selected, implemented,
    /// database available), recording why the others are not.
    pub(crate) fn endpoint_plan(&mut self, stack: &Stack) -> Vec<Scenario> {
        let db_kind = self.cfg.settings.db.name();
        let has_db = self.db.is_some();
        let mut plan = Vec::new();
        let mut unsupported = Vec::new();
        for &sc in &self.cfg.settings.scenarios {
            if !sc.is_endpoint() {
                continue;
            }
            if !stack.scenarios.contains(&sc) {
                let why = stack
                    .unsupported
                    .get(sc.name())
                    .cloned()
                    .unwrap_or_else(|| "not implemented by the stack".into());
                unsupported.push((sc, why));
            } else if sc.needs_db() && !stack.databases.contains_key(db_kind) {
                unsupported.push((sc, format!("no {db_kind} driver")));
            } else if sc.needs_db() && !has_db {
                unsupported.push((sc, format!("database {db_kind} unavailable in this run")));
            } else {
                plan.push(sc);
            }
        }
        let rec = self.record(&stack.name);
        for (sc, why) in unsupported {
            rec.unsupported.entry(sc.name().to_string()).or_insert(why);
        }
        plan
    }

    pub(crate) async fn launch(
        &mut self,
        stack: &Stack,
        workers: u32,
        cpus: Vec<usize>,
        scenario: Option<Scenario>,
    ) -> Option<Running> {
        let opts = LaunchOpts {
            port: None,
            workers,
            cpus: Some(cpus),
            env: self.db.as_ref().map(|d| d.env()).unwrap_or_default(),
            scenario,
        };
        match stack::launch(stack, &opts)
            .await
            .with_context(|| format!("starting stack {}", stack.name))
        {
            Ok(r) => Some(r),
            Err(e) => {
                let msg = format!("{e:#}");
                self.report.note(&format!("{}: {msg}", stack.name));
                self.record(&stack.name).failures.push(FailureRecord {
                    scenario,
                    trial: None,
                    message: msg.clone(),
                    stderr_tail: tail_of(&msg),
                });
                None
            }
        }
    }

    /// Verifies `scenarios` on a target; returns those that passed, recording the failures.
    pub(crate) async fn verify(
        &mut self,
        name: &str,
        target: &dyn Target,
        scenarios: &[Scenario],
    ) -> Vec<Scenario> {
        if scenarios.is_empty() {
            return Vec::new();
        }
        // A stack that declares `keep_alive = false` may close when it says
        // so; one that declares `protocol = "h2c"` is verified over HTTP/2.
        let stack = self.stacks.iter().find(|s| s.name == name);
        let opts = crate::verify::VerifyOptions {
            require_keep_alive: stack.is_none_or(|s| s.keep_alive),
            protocol: stack.map_or_else(Default::default, |s| s.protocol),
            ..Default::default()
        };
        let report =
            crate::verify::verify_url_with(&target.base_url(), scenarios, self.db.as_ref(), &opts)
                .await;
        let failures = report.failures();
        let mut passed = Vec::new();
        for &sc in scenarios {
            if report.passed(sc) {
                passed.push(sc);
            } else {
                let why = failures
                    .get(&sc)
                    .cloned()
                    .unwrap_or_else(|| "no check ran".into());
                self.report.note(&format!(
                    "{name}: {sc} failed verification, not measured: {why}"
                ));
                self.record(name)
                    .verify_failures
                    .insert(sc.name().to_string(), why);
            }
        }
        passed
    }

    /// A `--url` server: verified, then measured like a stack of its own
    /// in every round (no launch: its CPU and memory only with `--pid`).
    pub async fn external_round(
        &mut self,
        url: &url::Url,
        round: &crate::results::RoundRecord,
    ) -> anyhow::Result<()> {
        let target = External {
            url: url.clone(),
            pid: self.cfg.pid,
        };
        let endpoints: Vec<Scenario> = round
            .scenarios
            .iter()
            .copied()
            .filter(|s| s.is_endpoint())
            .collect();
        let passed = self
            .ensure_verified(EXTERNAL, super::round::Launch::Main, &target, &endpoints)
            .await;
        self.updated()?;
        self.measure_external(target, round, passed).await
    }

    pub(crate) fn mark_failed_if_nothing(&mut self, stack: &Stack, stage: &str) {
        let measured = self.results.points.iter().any(|p| p.stack == stack.name);
        let rec = self.record(&stack.name);
        if !measured && rec.status == StackStatus::Measured {
            let last = rec
                .failures
                .last()
                .map(|f| (f.message.clone(), f.stderr_tail.clone()));
            let (reason, stderr_tail) = last.unwrap_or_else(|| {
                let why: Vec<String> = rec
                    .verify_failures
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
                (
                    format!("every scenario failed verification ({})", why.join("; ")),
                    Vec::new(),
                )
            });
            rec.status = StackStatus::Failed {
                stage: stage.into(),
                reason,
                stderr_tail,
            };
        }
    }

    pub(crate) fn crashed(
        &mut self,
        name: &str,
        sc: Scenario,
        running: &mut Running,
    ) -> anyhow::Result<()> {
        if crate::proc::guard::interrupted() {
            return Ok(()); // stopped by the interrupt's cleanup, not a crash
        }
        let status = running
            .exit_status()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        self.report.note(&format!(
            "{name}: server exited during {sc}{status}; restarting for the next scenario"
        ));
        self.record(name).failures.push(FailureRecord {
            scenario: Some(sc),
            trial: None,
            message: format!("server exited during {sc}{status}"),
            stderr_tail: running.stderr_tail(20),
        });
        self.updated()
    }

    /// Says that `stack` is being installed, and roughly for how long.
    fn installing(&mut self, stack: &Stack) {
        if stack::is_installed(stack) {
            return;
        }
        let expected = stack::expected_install(stack);
        self.report.note(&format!(
            "installing {} (first use; about {})…",
            stack.name,
            humantime::format_duration(expected)
        ));
        self.measuring(&stack.name, "install", 1, "installing", expected);
    }

    pub(crate) fn measuring(
        &mut self,
        stack: &str,
        scenario: &str,
        trial: u32,
        what: &str,
        expected: Duration,
    ) {
        let at = Position {
            stack: stack.into(),
            scenario: scenario.into(),
            trial,
            // Adaptive rounds count on from the plan's.
            trials: self.trials().max(self.results.rounds.len() as u32),
            what: what.into(),
        };
        self.report.measuring(&at, expected);
    }

    pub(crate) fn top_concurrency(&self) -> usize {
        self.cfg
            .settings
            .concurrency
            .iter()
            .copied()
            .max()
            .unwrap_or(64)
    }
}

/// The last lines of a message (an error quoting a child's stderr).
fn tail_of(msg: &str) -> Vec<String> {
    let lines: Vec<String> = msg.lines().map(String::from).collect();
    lines[lines.len().saturating_sub(20)..].to_vec()
}
