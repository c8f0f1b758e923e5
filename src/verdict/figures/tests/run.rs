//! Small synthetic results files for the tests of `build`: each point is one
//! slice of one trial whose figures are exactly the ones a case names (10 s
//! windows of whole requests, so a trial's throughput is its `rps`).

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};

use crate::db::DbKind;
use crate::load::report::{GeneratorUsage, LatencyStats, LoadReport, WsReport};
use crate::results::{
    CapacityRecord, Flag, IdleKind, IdleRecord, Machine, PlanSettings, Point, PointKind, Results,
    RoundKind, RoundRecord, ServerUsage, Settings, StackRecord, StackStatus, WarmupRecord,
};
use crate::scenario::Scenario;
use crate::stats::Steadiness;

pub const MB: u64 = 1024 * 1024;
/// Every window is 10 s long.
const WINDOW_S: f64 = 10.0;

pub struct Run {
    pub r: Results,
}

fn latency(p50_us: u64, p99_us: u64) -> LatencyStats {
    LatencyStats {
        count: 1000,
        p50_us,
        p90_us: p99_us,
        p99_us,
        max_us: p99_us,
        ..LatencyStats::default()
    }
}

fn load(connections: usize, rps: f64, target: Option<f64>) -> LoadReport {
    LoadReport {
        schema: crate::load::report::LOAD_SCHEMA.into(),
        mode: if target.is_some() { "open" } else { "closed" }.into(),
        connections,
        connections_open: None,
        duration_s: WINDOW_S,
        requests: (rps * WINDOW_S).round() as u64,
        throughput_rps: rps,
        target_rps: target,
        achieved_rps: target,
        late_sends: 0,
        unsent: 0,
        max_send_lag_us: 0,
        latency: latency(1_000, 3_000),
        latency_uncorrected: None,
        status_counts: BTreeMap::new(),
        errors: Default::default(),
        bytes_in: 0,
        bytes_out: 0,
        per_second: Vec::new(),
        per_100ms: Vec::new(),
        generator: GeneratorUsage::default(),
        warnings: Vec::new(),
        histogram_b64: None,
        histogram_uncorrected_b64: None,
        run: None,
    }
}

fn ws_report(clients: usize, delivered_per_s: f64) -> WsReport {
    WsReport {
        schema: crate::load::report::WS_SCHEMA.into(),
        clients,
        rooms: 10,
        msg_rate_per_client: 1.0,
        duration_s: WINDOW_S,
        connected: clients as u64,
        connect_failed: 0,
        dropped: 0,
        sent: 0,
        expected_deliveries: 0,
        delivered: (delivered_per_s * WINDOW_S).round() as u64,
        lost: 0,
        malformed: 0,
        late_sends: 0,
        target_msg_rps: clients as f64,
        achieved_msg_rps: clients as f64,
        delivered_per_s,
        latency: latency(2_000, 9_000),
        generator: GeneratorUsage::default(),
        warnings: Vec::new(),
        histogram_b64: None,
        run: None,
    }
}

/// A valid, unflagged point of trial `trial`: `rps` requests per second,
/// 50 µs of server CPU a request, half a core, 60 MiB at peak.
pub fn point(stack: &str, sc: Scenario, kind: PointKind, trial: u32, rps: f64) -> Point {
    let (load, ws) = match kind {
        PointKind::Ws { clients, .. } => (None, Some(ws_report(clients, rps))),
        PointKind::FixedRate { rps: target } => (Some(load(64, rps, Some(target))), None),
        PointKind::Peak { connections } | PointKind::Io { connections } => {
            (Some(load(connections, rps, None)), None)
        }
    };
    Point {
        stack: stack.into(),
        scenario: sc,
        target: sc.default_path().unwrap_or("/ws").into(),
        kind,
        workers: 1,
        trial,
        slice: 1,
        at_s: 0.0,
        load,
        ws,
        server: ServerUsage {
            cpu_us: (50.0 * rps * WINDOW_S) as u64,
            cpu_us_per_req: Some(50.0),
            cpu_source: "cgroup".into(),
            rss_idle_bytes: 40 * MB,
            rss_peak_bytes: 60 * MB,
            concurrency_achieved: None,
            wall_us: (WINDOW_S * 1e6) as u64,
            cores_used: Some(0.5),
            memory_kind: "private+shared".into(),
        },
        foreign_cpu: None,
        flags: Vec::new(),
        valid: true,
    }
}

impl Run {
    /// An empty run of 2 server cores, a 1000 req/s fixed rate, no stacks.
    pub fn new() -> Run {
        Run {
            r: Results {
                schema: crate::results::RESULTS_SCHEMA.into(),
                ringside_version: "0.0.0".into(),
                started_at: Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap(),
                finished_at: Some(Utc.with_ymd_and_hms(2026, 12, 4, 9, 30, 0).unwrap()),
                command: Vec::new(),
                machine: Machine {
                    cores: 2,
                    memory_bytes: 8 * 1024 * MB,
                    ..Machine::default()
                },
                settings: Settings {
                    suite: "custom".into(),
                    scenarios: Vec::new(),
                    stacks: Vec::new(),
                    db: DbKind::Sqlite,
                    trials: 3,
                    duration_s: WINDOW_S,
                    warmup_s: 1.0,
                    concurrency: vec![64, 256],
                    fixed_rates_rps: vec![1000.0],
                    slo_ms: 50.0,
                    server_cpus: vec![1],
                    generator_cpus: vec![0],
                    workers_n: 2,
                    io_connections: 256,
                    idle_connections: 2000,
                    fixed_rates_by_scenario: BTreeMap::new(),
                    open_connections: 64,
                    workers_scenarios: vec![Scenario::Json],
                    capacity_max_steps: 8,
                    capacity_step_s: 5.0,
                    url: None,
                    plan: PlanSettings::default(),
                    extra: BTreeMap::new(),
                },
                stacks: Vec::new(),
                points: Vec::new(),
                capacity: Vec::new(),
                rounds: Vec::new(),
                warmups: Vec::new(),
                warnings: Vec::new(),
            },
        }
    }

    /// A measured stack: `javascript` (Node.js) or `python`.
    pub fn stack(&mut self, name: &str, language: &str) -> &mut StackRecord {
        self.r.settings.stacks.push(name.into());
        self.r.stacks.push(StackRecord {
            name: name.into(),
            base: None,
            variant: None,
            runtime: None,
            threads: None,
            worker_threads: false,
            language: language.into(),
            framework: "fw".into(),
            runtime_version: None,
            packages: BTreeMap::new(),
            db_driver: None,
            status: StackStatus::Measured,
            verify_failures: BTreeMap::new(),
            unsupported: BTreeMap::new(),
            startup_ms: Vec::new(),
            footprint: None,
            rss_fresh_bytes: Vec::new(),
            idle: Vec::new(),
            failures: Vec::new(),
        });
        self.r.stacks.last_mut().unwrap()
    }

    /// Adds a point and returns it to adjust.
    pub fn add(&mut self, p: Point) -> &mut Point {
        self.r.points.push(p);
        self.r.points.last_mut().unwrap()
    }

    /// One closed-loop point per trial (trial 1, 2, …) at `connections`.
    pub fn peak(&mut self, stack: &str, sc: Scenario, connections: usize, rps: &[f64]) {
        for (i, v) in rps.iter().enumerate() {
            self.add(point(
                stack,
                sc,
                PointKind::Peak { connections },
                i as u32 + 1,
                *v,
            ));
        }
    }

    /// One open-loop point per trial at `rate`, p99 latency `p99_us` each.
    pub fn fixed(&mut self, stack: &str, sc: Scenario, rate: f64, p99_us: &[u64]) {
        for (i, v) in p99_us.iter().enumerate() {
            let p = self.add(point(
                stack,
                sc,
                PointKind::FixedRate { rps: rate },
                i as u32 + 1,
                rate,
            ));
            p.load.as_mut().unwrap().latency = latency(v / 3, *v);
        }
    }

    /// One `io` point per trial: throughput and requests in flight.
    pub fn io(&mut self, stack: &str, connections: usize, rps: &[f64], in_flight: &[f64]) {
        for (i, (v, c)) in rps.iter().zip(in_flight).enumerate() {
            let kind = PointKind::Io { connections };
            let p = self.add(point(stack, Scenario::Io, kind, i as u32 + 1, *v));
            p.server.concurrency_achieved = Some(*c);
        }
    }

    /// One `ws-chat` point per trial: deliveries per second.
    pub fn ws(&mut self, stack: &str, clients: usize, delivered: &[f64]) {
        for (i, v) in delivered.iter().enumerate() {
            let kind = PointKind::Ws {
                clients,
                rooms: 10,
                msg_rate_per_client: 1.0,
            };
            self.add(point(stack, Scenario::WsChat, kind, i as u32 + 1, *v));
        }
    }

    /// One `workers` point per trial at `workers` processes on `target`:
    /// throughput and cores used.
    pub fn workers(&mut self, stack: &str, target: &str, workers: u32, rps: &[f64], cores: &[f64]) {
        for (i, (v, c)) in rps.iter().zip(cores).enumerate() {
            let kind = PointKind::Peak { connections: 256 };
            let p = self.add(point(stack, Scenario::Workers, kind, i as u32 + 1, *v));
            p.target = target.into();
            p.workers = workers;
            p.server.cores_used = Some(*c);
        }
    }

    /// One capacity search per trial: `Some(c)` passed `c` and failed 1.25 c
    /// on the SLO; `None` failed its lowest step.
    pub fn capacity(&mut self, stack: &str, sc: Scenario, workers: u32, caps: &[Option<f64>]) {
        for (i, c) in caps.iter().enumerate() {
            self.r.capacity.push(CapacityRecord {
                stack: stack.into(),
                scenario: sc,
                workers,
                trial: i as u32 + 1,
                slo_ms: 50.0,
                unit: if sc == Scenario::WsChat {
                    "clients"
                } else {
                    "rps"
                }
                .into(),
                capacity: *c,
                upper_bound: c.map(|c| c * 1.25),
                limited_by: if c.is_some() { "slo" } else { "errors" }.into(),
                steps: Vec::new(),
            });
        }
    }

    /// One idle record per trial with `open` connections open.
    pub fn idle(&mut self, stack: &str, kind: IdleKind, open: usize, bytes_per_conn: &[f64]) {
        let rec = self.r.stacks.iter_mut().find(|s| s.name == stack).unwrap();
        for (i, b) in bytes_per_conn.iter().enumerate() {
            rec.idle.push(IdleRecord {
                kind,
                trial: i as u32 + 1,
                connections_requested: 2000,
                connections_open: open,
                rss_before_bytes: 40 * MB,
                rss_after_bytes: 40 * MB + (b * open as f64) as u64,
                rss_mid_bytes: None,
                connections_open_mid: None,
                bytes_per_connection: *b,
            });
        }
    }

    /// Adds `flag` to every point of `stack` × `sc` in `trial` (0: every trial).
    pub fn flag(&mut self, stack: &str, sc: Scenario, trial: u32, flag: Flag) {
        for p in self.points_of(stack, sc) {
            if trial == 0 || p.trial == trial {
                p.flags.push(flag.clone());
            }
        }
    }

    pub fn points_of<'a>(
        &'a mut self,
        stack: &'a str,
        sc: Scenario,
    ) -> impl Iterator<Item = &'a mut Point> + 'a {
        self.r
            .points
            .iter_mut()
            .filter(move |p| p.stack == stack && p.scenario == sc)
    }

    pub fn round(&mut self, number: u32, kind: RoundKind, stacks: &[&str]) {
        self.r.rounds.push(RoundRecord {
            number,
            kind,
            stacks: stacks.iter().map(|s| s.to_string()).collect(),
            scenarios: vec![Scenario::Json],
            workers_extra: Vec::new(),
            reason: Vec::new(),
            look: 0,
        });
    }

    /// A warm-up of `stack` before `sc` that settled (or not) after `took_s`.
    pub fn warmup(&mut self, stack: &str, sc: Scenario, first: bool, settled: bool, took_s: f64) {
        self.r.warmups.push(WarmupRecord {
            stack: stack.into(),
            scenario: sc,
            workers: 1,
            trial: 1,
            first,
            chunk_s: 0.5,
            throughput: Vec::new(),
            cpu_us_per_req: Vec::new(),
            outcome: if settled {
                Steadiness::Settled { chunks: 6 }
            } else {
                Steadiness::Never { chunks: 30 }
            },
            took_s,
        });
    }

    pub fn figures(&self) -> super::super::Figures {
        super::super::figures(&self.r)
    }
}
