//! One round of the run: every stack of the round launched afresh, warmed to
//! steady state and measured, phase by phase — the stacks' servers run side
//! by side (idle ones cost nothing) so that their loads can alternate slice
//! by slice ([`super::plan::rotation`]). Phases: the main server (HTTP
//! scenarios, idle HTTP connections), a server per scenario with a start of
//! its own (ws-chat always, with idle WebSockets), and for `workers` one
//! process and N processes on every core.

use std::time::Duration;

use crate::scenario::Scenario;
use crate::stack::{Running, Stack};

use super::capacity::{self, SearchSpec};
use super::config::base_rate_rps;
use super::measure::PointSpec;
use super::plan::rotation;
use super::runner::{EXTERNAL, Runner};
use super::target::{External, Target};
use super::warmup::{self, WarmupSpec};
use super::workload::{DriveOpts, Workload};
use crate::results::{PointKind, RoundRecord};

mod lost;

/// How a phase launches its servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Launch {
    /// One worker on the server cores, the stack's own start command.
    Main,
    /// One worker on the server cores, the start command of this scenario
    /// (its `[start.override]`, or the main one for ws-chat).
    Own(Scenario),
    /// `workers`: one process on every core (its deployment's threads).
    OneOnAll,
    /// `workers`: N processes on every core.
    ManyOnAll,
}

/// What verification found for one stack and kind of launch.
#[derive(Debug, Clone, Default)]
pub struct Verified {
    /// Scenarios verified so far.
    pub tried: Vec<Scenario>,
    /// Those that passed.
    pub passed: Vec<Scenario>,
}

/// A server under measurement: launched by the round, or the user's own.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Server {
    Launched(Running),
    External(External),
}

impl Server {
    fn target(&mut self) -> &mut dyn Target {
        match self {
            Server::Launched(r) => r,
            Server::External(e) => e,
        }
    }

    async fn stop(self) {
        if let Server::Launched(r) = self {
            let _ = r.stop().await;
        }
    }
}

/// A server of the phase.
pub(crate) struct Live {
    name: String,
    /// The stack it runs (`None`: a `--url` server).
    stack: Option<Stack>,
    server: Server,
    /// No scenario has warmed it up yet.
    first: bool,
    /// Scenarios to measure on it this phase (verified).
    todo: Vec<Scenario>,
    /// It passed ws-chat: idle WebSockets are measured on it.
    ws: bool,
}

/// The warm-up rule of a scenario: the long one for the first scenario
/// after a launch (the JIT's warm-up); a short one for later scenarios and
/// for the `workers` launches (the code ran in the main phase already); a
/// token chunk for io, whose throughput the designed wait sets; two chunks
/// for ws-chat, whose load is planned.
fn warm_rule(
    plan: &crate::results::PlanSettings,
    first: bool,
    sc: Scenario,
    launch: Launch,
) -> crate::stats::SteadyRule {
    let mut rule = if first && matches!(launch, Launch::Main | Launch::Own(_)) {
        plan.first_warmup
    } else {
        plan.warmup
    };
    match sc {
        Scenario::Io => {
            rule.window = 1;
            rule.min_chunks = 1;
            rule.max_chunks = 1;
        }
        Scenario::WsChat if !first => {
            rule.window = 1;
            rule.min_chunks = 2;
        }
        _ => {}
    }
    rule
}

/// The kinds of idle connection a launch measures.
fn idle_kinds(launch: Launch, ws: bool) -> Vec<crate::results::IdleKind> {
    use crate::results::IdleKind;
    match launch {
        Launch::Main if ws => vec![IdleKind::Http, IdleKind::Ws],
        Launch::Main => vec![IdleKind::Http],
        Launch::Own(Scenario::WsChat) if ws => vec![IdleKind::Ws],
        _ => Vec::new(),
    }
}

impl Runner<'_> {
    /// Runs one round.
    pub(crate) async fn round(&mut self, round: &RoundRecord) -> anyhow::Result<()> {
        let stacks: Vec<Stack> = round
            .stacks
            .iter()
            .filter_map(|n| self.stacks.iter().find(|s| &s.name == n).cloned())
            .filter(|s| self.is_measured(&s.name))
            .collect();
        self.phase(&stacks, round, Launch::Main).await?;
        let mut own: Vec<Scenario> = round
            .scenarios
            .iter()
            .copied()
            .filter(|&sc| {
                sc.is_endpoint() && stacks.iter().any(|s| s.start_override.contains_key(&sc))
            })
            .collect();
        own.sort();
        for sc in own {
            self.phase(&stacks, round, Launch::Own(sc)).await?;
        }
        if round.scenarios.contains(&Scenario::Workers) {
            let mut with_extra = stacks.clone();
            for name in &round.workers_extra {
                if let Some(s) = self.stacks.iter().find(|s| &s.name == name)
                    && self.is_measured(name)
                    && !with_extra.iter().any(|w| &w.name == name)
                {
                    with_extra.push(s.clone());
                }
            }
            self.phase(&with_extra, round, Launch::OneOnAll).await?;
            // N processes only where the deployment can run more than one
            // (a stack's `max_workers`) and there is more than one core.
            let many: Vec<_> = with_extra
                .into_iter()
                .filter(|s| self.launch_workers(Some(s), Launch::ManyOnAll) > 1)
                .collect();
            if !many.is_empty() {
                self.phase(&many, round, Launch::ManyOnAll).await?;
            }
        }
        Ok(())
    }

    /// The scenarios `stack` measures in a phase of `round` (selected for the
    /// round, implemented, database available).
    fn phase_scenarios(
        &mut self,
        stack: &Stack,
        round: &RoundRecord,
        launch: Launch,
    ) -> Vec<Scenario> {
        let endpoints = self.endpoint_plan(stack);
        let in_round = |sc: &Scenario| round.scenarios.contains(sc);
        match launch {
            Launch::Main => endpoints
                .into_iter()
                .filter(|sc| in_round(sc) && !stack.start_override.contains_key(sc))
                .collect(),
            Launch::Own(own) => endpoints
                .into_iter()
                .filter(|sc| *sc == own && in_round(sc) && stack.start_override.contains_key(sc))
                .collect(),
            Launch::OneOnAll | Launch::ManyOnAll => self
                .cfg
                .settings
                .workers_scenarios
                .iter()
                .copied()
                .filter(|sc| stack.scenarios.contains(sc) && !stack.start_override.contains_key(sc))
                .collect(),
        }
    }

    fn launch_workers(&self, stack: Option<&Stack>, launch: Launch) -> u32 {
        match (launch, stack) {
            (Launch::ManyOnAll, Some(st)) => self.cfg.settings.workers_n.min(st.max_workers.max(1)),
            (Launch::ManyOnAll, None) => self.cfg.settings.workers_n,
            _ => 1,
        }
    }

    fn launch_cpus(&self, launch: Launch) -> Vec<usize> {
        match launch {
            Launch::Main | Launch::Own(_) => self.cfg.settings.server_cpus.clone(),
            Launch::OneOnAll | Launch::ManyOnAll => {
                (0..self.results.machine.cores.max(1)).collect()
            }
        }
    }

    /// The points a scenario measures per trial in this phase: its loads, each
    /// repeated over the slices (peak and ws loads) or once (fixed rates).
    fn scenario_loads(&self, sc: Scenario, launch: Launch) -> Vec<(Workload, u32, Duration)> {
        let s = &self.cfg.settings;
        let plan = &s.plan;
        let slice = Duration::from_secs_f64(plan.slice_s);
        let slices = plan.slices.max(1);
        if matches!(launch, Launch::OneOnAll | Launch::ManyOnAll) {
            let path = sc.default_path().unwrap_or("/");
            return vec![(
                Workload::new(
                    path,
                    PointKind::Peak {
                        connections: self.top_concurrency(),
                    },
                ),
                slices,
                slice,
            )];
        }
        let path = super::points::scenario_path(sc);
        let mut loads = Vec::new();
        for kind in super::points::point_kinds(s, sc, &self.cfg.rates(sc)) {
            // Planned loads (fixed rates, ws) and io (its throughput is set by
            // the designed wait) are measured once a trial; peak loads in slices.
            let fixed = matches!(
                kind,
                PointKind::FixedRate { .. } | PointKind::Ws { .. } | PointKind::Io { .. }
            );
            if matches!(kind, PointKind::FixedRate { .. })
                && !plan.fixed_rate_scenarios.contains(&sc)
            {
                continue;
            }
            let (n, d) = if fixed {
                (1, Duration::from_secs_f64(plan.fixed_s))
            } else {
                (slices, slice)
            };
            loads.push((Workload::new(path, kind), n, d));
        }
        loads
    }

    fn phase_scenario(&self, sc: Scenario, launch: Launch) -> Scenario {
        match launch {
            Launch::OneOnAll | Launch::ManyOnAll => Scenario::Workers,
            _ => sc,
        }
    }

    /// True when every point and the capacity search of `sc` in this phase are measured.
    fn live_done(&self, live: &Live, sc: Scenario, launch: Launch, trial: u32) -> bool {
        self.phase_done(&live.name, live.stack.as_ref(), sc, launch, trial)
    }

    fn phase_done(
        &self,
        name: &str,
        stack: Option<&Stack>,
        sc: Scenario,
        launch: Launch,
        trial: u32,
    ) -> bool {
        let workers = self.launch_workers(stack, launch);
        let recorded_sc = self.phase_scenario(sc, launch);
        let loads = self.scenario_loads(sc, launch);
        let points_done = loads.iter().all(|(w, n, _)| {
            (0..*n).all(|slice| self.point_done(name, recorded_sc, w, workers, trial, slice))
        });
        points_done
            && (!self.wants_capacity(sc, launch) || self.capacity_done(name, sc, workers, trial))
    }

    fn wants_capacity(&self, sc: Scenario, launch: Launch) -> bool {
        matches!(launch, Launch::Main | Launch::Own(_))
            && self.cfg.settings.capacity_max_steps > 0
            && self.cfg.settings.plan.capacity_scenarios.contains(&sc)
    }

    /// Launches the servers of a phase, measures every scenario interleaved,
    /// then the idle connections, and stops them all.
    async fn phase(
        &mut self,
        stacks: &[Stack],
        round: &RoundRecord,
        launch: Launch,
    ) -> anyhow::Result<()> {
        let trial = round.number;
        let want_idle = matches!(launch, Launch::Main | Launch::Own(Scenario::WsChat))
            && round.scenarios.contains(&Scenario::Idle);
        let mut lives: Vec<Live> = Vec::new();
        for stack in stacks {
            let scenarios = self.phase_scenarios(stack, round, launch);
            let todo: Vec<Scenario> = scenarios
                .iter()
                .copied()
                .filter(|&sc| !self.phase_done(&stack.name, Some(stack), sc, launch, trial))
                .collect();
            let idle_todo = want_idle
                && !stack.unsupported.contains_key(Scenario::Idle.name())
                && (launch == Launch::Main || !scenarios.is_empty())
                && idle_kinds(launch, scenarios.contains(&Scenario::WsChat))
                    .iter()
                    .any(|&k| !self.idle_done(&stack.name, k, trial));
            let startup_todo = launch == Launch::Main
                && round.scenarios.contains(&Scenario::Startup)
                && (self.record(&stack.name).startup_ms.len() as u32) < trial;
            if todo.is_empty() && !idle_todo && !startup_todo {
                continue;
            }
            let workers = self.launch_workers(Some(stack), launch);
            let own = match launch {
                Launch::Own(sc) => Some(sc),
                Launch::OneOnAll | Launch::ManyOnAll => Some(Scenario::Workers),
                Launch::Main => None,
            };
            let cpus = self.launch_cpus(launch);
            let Some(running) = self.launch(stack, workers, cpus, own).await else {
                if let Some(f) = self.record(&stack.name).failures.last_mut() {
                    f.trial.get_or_insert(trial); // the launch failure costs this trial
                }
                if launch == Launch::Main {
                    self.mark_failed_if_nothing(stack, "start");
                }
                self.updated()?;
                continue;
            };
            if launch == Launch::Main {
                let ms = running.ready_after().as_secs_f64() * 1000.0;
                let fresh = running.sample().rss_bytes;
                let rec = self.record(&stack.name);
                if (rec.startup_ms.len() as u32) < trial {
                    rec.startup_ms.push(ms);
                }
                if (rec.rss_fresh_bytes.len() as u32) < trial {
                    rec.rss_fresh_bytes.push(fresh);
                }
            }
            // Each scenario is verified once per stack and kind of launch, at
            // the first launch that measures it; later rounds reuse the answer.
            let passed = self
                .ensure_verified(&stack.name, launch, &running, &scenarios)
                .await;
            if launch == Launch::Main
                && !scenarios.is_empty()
                && scenarios.iter().all(|sc| !passed.contains(sc))
            {
                self.mark_failed_if_nothing(stack, "verify");
            }
            self.updated()?;
            let todo: Vec<Scenario> = todo.into_iter().filter(|sc| passed.contains(sc)).collect();
            lives.push(Live {
                name: stack.name.clone(),
                stack: Some(stack.clone()),
                server: Server::Launched(running),
                first: true,
                ws: passed.contains(&Scenario::WsChat),
                todo,
            });
        }
        let result = self
            .measure_phase(&mut lives, round, launch, want_idle)
            .await;
        for live in lives {
            live.server.stop().await;
        }
        self.updated()?;
        result
    }

    /// The scenarios of `scenarios` that passed verification on this kind of
    /// launch of `name`, verifying those not yet tried.
    pub(crate) async fn ensure_verified(
        &mut self,
        name: &str,
        launch: Launch,
        target: &dyn Target,
        scenarios: &[Scenario],
    ) -> Vec<Scenario> {
        let key = (name.to_string(), launch);
        let tried = self.verified.get(&key).cloned().unwrap_or_default();
        let fresh: Vec<Scenario> = scenarios
            .iter()
            .copied()
            .filter(|sc| !tried.tried.contains(sc))
            .collect();
        let passed_now = self.verify(name, target, &fresh).await;
        let entry = self.verified.entry(key).or_default();
        entry.tried.extend(fresh);
        entry.passed.extend(passed_now);
        scenarios
            .iter()
            .copied()
            .filter(|sc| entry.passed.contains(sc))
            .collect()
    }

    /// A `--url` server measured on every endpoint scenario of the round it
    /// passed verification for (idle connections only with `--pid`).
    pub(crate) async fn measure_external(
        &mut self,
        target: External,
        round: &RoundRecord,
        passed: Vec<Scenario>,
    ) -> anyhow::Result<()> {
        let want_idle = target.pid.is_some() && round.scenarios.contains(&Scenario::Idle);
        let mut live = Live {
            name: EXTERNAL.to_string(),
            stack: None,
            server: Server::External(target),
            first: true,
            ws: passed.contains(&Scenario::WsChat),
            todo: Vec::new(),
        };
        live.todo = passed
            .into_iter()
            .filter(|sc| {
                round.scenarios.contains(sc)
                    && !self.live_done(&live, *sc, Launch::Main, round.number)
            })
            .collect();
        let mut lives = [live];
        self.measure_phase(&mut lives, round, Launch::Main, want_idle)
            .await
    }

    async fn measure_phase(
        &mut self,
        lives: &mut [Live],
        round: &RoundRecord,
        launch: Launch,
        want_idle: bool,
    ) -> anyhow::Result<()> {
        let trial = round.number;
        if want_idle {
            // Idle connections first, on a server no load has touched: a heap
            // grown under load takes them in without a page more. Their memory
            // then stays behind, so the loads get a fresh server.
            // The same holds between the kinds of one launch.
            for live in lives.iter_mut() {
                let mut used = false;
                for kind in idle_kinds(launch, live.ws) {
                    if self.idle_done(&live.name, kind, trial) {
                        continue;
                    }
                    if used {
                        self.relaunch(live, launch).await;
                    }
                    used |= self.idle(live, kind, launch, trial).await?;
                }
                if used && !live.todo.is_empty() {
                    self.relaunch(live, launch).await;
                }
            }
        }
        let mut scenarios: Vec<Scenario> = lives.iter().flat_map(|l| l.todo.clone()).collect();
        scenarios.sort();
        scenarios.dedup();
        // The scenario finalists are chosen by goes first: it gets the
        // launch's long warm-up, like every stack's first scenario.
        if let Some(i) = scenarios
            .iter()
            .position(|s| *s == super::plan::FINALIST_SCENARIO)
        {
            let sc = scenarios.remove(i);
            scenarios.insert(0, sc);
        }
        for sc in scenarios {
            let part: Vec<usize> = (0..lives.len())
                .filter(|&i| lives[i].todo.contains(&sc))
                .collect();
            let mut unsettled: Vec<Option<f64>> = vec![None; lives.len()];
            for &i in &part {
                unsettled[i] = self.warm(&mut lives[i], sc, launch, trial).await?;
            }
            for (w, n, window) in self.scenario_loads(sc, launch) {
                let preroll = if n > 1 || !w.is_planned() {
                    Duration::from_secs_f64(self.cfg.settings.plan.preroll_s)
                } else {
                    Duration::ZERO
                };
                for slice in 0..n {
                    for i in rotation(&part, slice as usize + trial as usize) {
                        self.slice(
                            &mut lives[i],
                            sc,
                            launch,
                            &w,
                            trial,
                            slice,
                            window,
                            preroll,
                            unsettled[i],
                        )
                        .await?;
                    }
                }
            }
            if self.wants_capacity(sc, launch) {
                for &i in &part {
                    self.capacity(&mut lives[i], sc, launch, trial).await?;
                }
            }
        }
        Ok(())
    }

    /// Warms one server for `sc`, unless everything of it is measured already.
    async fn warm(
        &mut self,
        live: &mut Live,
        sc: Scenario,
        launch: Launch,
        trial: u32,
    ) -> anyhow::Result<Option<f64>> {
        if self.live_done(live, sc, launch, trial)
            || self
                .alive_or_record(live, sc, launch, trial, "warm-up")
                .await?
                == lost::Up::Gone
        {
            return Ok(None);
        }
        let plan = &self.cfg.settings.plan;
        let rule = warm_rule(plan, live.first, sc, launch);
        let Some((workload, _, _)) = self
            .scenario_loads(sc, launch)
            .into_iter()
            .find(|(w, _, _)| !matches!(w.kind, PointKind::FixedRate { .. }))
        else {
            return Ok(None);
        };
        // A ws chunk pays for its connections: make it long enough to count.
        let chunk = Duration::from_secs_f64(if workload.is_ws() {
            plan.chunk_s.max(1.0)
        } else {
            plan.chunk_s
        });
        let spec = WarmupSpec {
            stack: live.name.clone(),
            scenario: self.phase_scenario(sc, launch),
            workers: self.launch_workers(live.stack.as_ref(), launch),
            trial,
            first: live.first,
            workload,
            rule,
            chunk,
        };
        self.measuring(
            &live.name,
            spec.scenario.name(),
            trial,
            "warm-up",
            chunk * rule.min_chunks as u32,
        );
        let rec = warmup::warm_up(live.server.target(), self.cfg, &spec).await;
        live.first = false;
        let after = warmup::unsettled_after(&rec);
        if after.is_some() {
            self.report.note(&format!(
                "{} {}: throughput did not settle within {:.0} s of warm-up; its points are flagged",
                live.name, spec.scenario, rec.took_s
            ));
        }
        self.results.warmups.push(rec);
        self.updated()?;
        self.after_load(live, sc, launch).await?;
        Ok(after)
    }

    #[allow(clippy::too_many_arguments)]
    async fn slice(
        &mut self,
        live: &mut Live,
        sc: Scenario,
        launch: Launch,
        w: &Workload,
        trial: u32,
        slice: u32,
        window: Duration,
        preroll: Duration,
        unsettled: Option<f64>,
    ) -> anyhow::Result<()> {
        let workers = self.launch_workers(live.stack.as_ref(), launch);
        let recorded = self.phase_scenario(sc, launch);
        if self.point_done(&live.name, recorded, w, workers, trial, slice) {
            return Ok(());
        }
        let what = format!(
            "slice {} of {}",
            slice + 1,
            super::events::point_line_kind(&w.kind)
        );
        if self.alive_or_record(live, sc, launch, trial, &what).await? == lost::Up::Gone {
            return Ok(());
        }
        // A server relaunched since its warm-up (it exited) is warmed again.
        let unsettled = if live.first {
            self.warm(live, sc, launch, trial).await?
        } else {
            unsettled
        };
        let spec = PointSpec {
            stack: live.name.clone(),
            scenario: recorded,
            workload: w.clone(),
            workers,
            trial,
            slice,
            shared_cores: self.cfg.shared_cores()
                || matches!(launch, Launch::OneOnAll | Launch::ManyOnAll),
            unsettled_after_s: unsettled,
            at_s: self.started.elapsed().as_secs_f64(),
        };
        let opts = DriveOpts {
            preroll,
            keep_histogram: w.is_planned(),
            ..DriveOpts::window(window)
        };
        self.point(live.server.target(), spec, &opts).await?;
        self.after_load(live, sc, launch).await
    }

    /// Capacity at SLO of one server.
    async fn capacity(
        &mut self,
        live: &mut Live,
        sc: Scenario,
        launch: Launch,
        trial: u32,
    ) -> anyhow::Result<()> {
        if self.capacity_done(&live.name, sc, 1, trial) {
            return Ok(());
        }
        match self
            .alive_or_record(live, sc, launch, trial, "capacity search")
            .await?
        {
            lost::Up::Gone => return Ok(()),
            lost::Up::Relaunched => {
                self.warm(live, sc, launch, trial).await?;
            }
            lost::Up::Alive => {}
        }
        let path = super::points::scenario_path(sc);
        // The earlier trials of this cell seed the search (suite::capacity):
        // from the median trial's pass (results::capacity::seed_bracket).
        let earlier: Vec<&crate::results::CapacityRecord> = self
            .results
            .capacity
            .iter()
            .filter(|c| c.stack == live.name && c.scenario == sc && c.workers == 1)
            .filter(|c| c.trial != trial)
            .collect();
        let prior = crate::results::capacity::seed_bracket(&earlier);
        let spec = if sc == Scenario::WsChat {
            let wss = super::ws::WsSettings::from_settings(&self.cfg.settings);
            let nofile = crate::load::sys::raise_nofile_limit();
            let max = super::ws::MAX_CLIENTS
                .min(super::idle::bounded_connections(usize::MAX, nofile) as f64)
                .max(1.0);
            // Seeded from this trial's CPU per delivery at the fixed load:
            // SEED_CORES cores' worth of deliveries, as clients (each
            // receives its room's messages).
            let per_client = wss.capacity_rate * super::ws::CLIENTS_PER_ROOM as f64;
            let seed = self
                .trial_cost(&live.name, sc, trial)
                .map(|us| super::ws::SEED_CORES * 1e6 / (us * per_client))
                .unwrap_or(wss.clients as f64)
                .clamp(wss.clients as f64, max);
            SearchSpec {
                scenario: sc,
                workload: Workload::new(
                    path,
                    PointKind::Ws {
                        clients: wss.clients,
                        rooms: wss.clients.div_ceil(super::ws::CLIENTS_PER_ROOM),
                        msg_rate_per_client: wss.capacity_rate,
                    },
                ),
                seed,
                max_level: max,
                unit: "clients",
                prior,
            }
        } else {
            let peak = self.trial_peak(&live.name, sc, trial);
            let seed = peak.map_or(base_rate_rps(sc), |p| (0.8 * p).max(1.0));
            SearchSpec {
                scenario: sc,
                workload: Workload::new(path, PointKind::FixedRate { rps: seed }),
                seed,
                max_level: (seed * 20.0).max(1000.0),
                unit: "rps",
                prior,
            }
        };
        let step = Duration::from_secs_f64(self.cfg.settings.capacity_step_s);
        let trials = self.trials();
        let name = live.name.clone();
        let report = &mut *self.report;
        let record = capacity::search(
            live.server.target(),
            self.cfg,
            &spec,
            &name,
            1,
            trial,
            |n| {
                let at = super::events::Position {
                    stack: name.clone(),
                    scenario: sc.name().into(),
                    trial,
                    trials,
                    what: format!("capacity step {n}"),
                };
                report.measuring(&at, step);
            },
        )
        .await;
        self.results.capacity.push(record.clone());
        self.report.capacity_measured(&self.results, &record)?;
        self.after_load(live, sc, launch).await
    }

    /// Idle connections on one server (HTTP on the main server, WebSocket on
    /// ws-chat's); true when it measured them.
    async fn idle(
        &mut self,
        live: &mut Live,
        kind: crate::results::IdleKind,
        launch: Launch,
        trial: u32,
    ) -> anyhow::Result<bool> {
        if self.idle_done(&live.name, kind, trial) {
            return Ok(false);
        }
        // A deployment that cannot hold the idle connections says so in its
        // manifest (an h2c server, for one): recorded, not measured.
        if let Some(why) = live
            .stack
            .as_ref()
            .and_then(|s| s.unsupported.get(Scenario::Idle.name()))
        {
            let why = why.clone();
            self.record(&live.name)
                .unsupported
                .entry(Scenario::Idle.name().into())
                .or_insert(why);
            return Ok(false);
        }
        let what = format!("idle {} connections", kind.name());
        if self
            .alive_or_record(live, Scenario::Idle, launch, trial, &what)
            .await?
            == lost::Up::Gone
        {
            return Ok(false);
        }
        self.measuring(
            &live.name,
            "idle",
            trial,
            &format!("idle {}", kind.name()),
            Duration::from_secs(3),
        );
        let n = self.cfg.settings.idle_connections;
        let rec = match kind {
            crate::results::IdleKind::Http => {
                super::idle::measure_idle(live.server.target(), n, trial).await
            }
            crate::results::IdleKind::Ws => {
                super::idle::measure_idle_ws(live.server.target(), n, trial).await
            }
        };
        let measured = rec.is_some();
        if let Some(rec) = rec {
            self.record(&live.name).idle.push(rec);
            self.updated()?;
        }
        Ok(measured)
    }

    /// After a load: a launched server that exited is recorded and relaunched (cold).
    async fn after_load(
        &mut self,
        live: &mut Live,
        sc: Scenario,
        launch: Launch,
    ) -> anyhow::Result<()> {
        let recorded = self.phase_scenario(sc, launch);
        let (Server::Launched(running), Some(_)) = (&mut live.server, &live.stack) else {
            return Ok(());
        };
        if running.is_alive() {
            return Ok(());
        }
        self.crashed(&live.name, recorded, running)?;
        self.relaunch(live, launch).await;
        Ok(())
    }

    /// Replaces a launched server by a fresh launch of the same kind (cold:
    /// its next scenario gets the long warm-up). A server that does not come
    /// up again is left as it was, for the liveness checks to report.
    async fn relaunch(&mut self, live: &mut Live, launch: Launch) {
        let (Server::Launched(running), Some(stack)) = (&mut live.server, live.stack.clone())
        else {
            return;
        };
        let workers = self.launch_workers(Some(&stack), launch);
        let own = match launch {
            Launch::Own(sc) => Some(sc),
            Launch::OneOnAll | Launch::ManyOnAll => Some(Scenario::Workers),
            Launch::Main => None,
        };
        let cpus = self.launch_cpus(launch);
        if let Some(r) = self.launch(&stack, workers, cpus, own).await {
            let old = std::mem::replace(running, r);
            let _ = old.stop().await;
            live.first = true;
        }
    }

    /// Median server CPU per request (ws: per delivery) of this trial's points of `sc`.
    fn trial_cost(&self, stack: &str, sc: Scenario, trial: u32) -> Option<f64> {
        let v: Vec<f64> = self
            .results
            .points
            .iter()
            .filter(|p| p.valid && p.stack == stack && p.scenario == sc && p.trial == trial)
            .filter_map(|p| p.server.cpu_us_per_req)
            .filter(|c| *c > 0.0)
            .collect();
        crate::stats::median(&v)
    }

    /// Median throughput of this trial's peak slices of `sc` (the capacity search's seed).
    fn trial_peak(&self, stack: &str, sc: Scenario, trial: u32) -> Option<f64> {
        let v: Vec<f64> = self
            .results
            .points
            .iter()
            .filter(|p| {
                p.valid
                    && p.stack == stack
                    && p.scenario == sc
                    && p.trial == trial
                    && p.workers == 1
            })
            .filter(|p| matches!(p.kind, PointKind::Peak { .. } | PointKind::Io { .. }))
            .filter_map(|p| p.load.as_ref().map(|l| l.throughput_rps))
            .collect();
        crate::stats::median(&v)
    }
}
