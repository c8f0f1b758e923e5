//! Test-only builder of results files from the real types, with deterministic
//! noise and real HdrHistogram V2+deflate histograms. Generates the checked-in
//! fixture (`tests/report_fixture.rs`) and the crafted runs of the ledger tests.
#![allow(dead_code, clippy::too_many_arguments)]

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{TimeZone, Utc};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use ringside::db::DbKind;
use ringside::load::report::{
    ErrorCounts, GeneratorUsage, LOAD_SCHEMA, LatencyStats, LoadReport, WS_SCHEMA, WsReport,
};
use ringside::results::*;
use ringside::scenario::Scenario;

pub const MB: u64 = 1024 * 1024;

/// Builds a [`Results`] point by point.
pub struct Builder {
    pub r: Results,
    seed: u64,
    /// Keep raw histograms on fixed-rate and ws points.
    pub histograms: bool,
}

impl Builder {
    pub fn new(trials: u32) -> Builder {
        Builder {
            r: Results {
                schema: RESULTS_SCHEMA.into(),
                ringside_version: "0.1.0".into(),
                started_at: Utc.with_ymd_and_hms(2026, 11, 20, 9, 30, 0).unwrap(),
                finished_at: Some(Utc.with_ymd_and_hms(2026, 11, 20, 10, 12, 0).unwrap()),
                command: vec![
                    "ringside".into(),
                    "run".into(),
                    "--suite".into(),
                    "full".into(),
                    "--trials".into(),
                    trials.to_string(),
                ],
                machine: Machine {
                    hostname: "bench-box".into(),
                    os: "Debian GNU/Linux 12 (bookworm)".into(),
                    kernel: "6.1.0-27-amd64".into(),
                    cpu_model: "AMD Ryzen 7 5700G".into(),
                    cores: 4,
                    memory_bytes: 16 * 1024 * MB,
                },
                settings: Settings {
                    suite: "full".into(),
                    scenarios: Vec::new(),
                    stacks: Vec::new(),
                    db: DbKind::Sqlite,
                    trials,
                    duration_s: 10.0,
                    warmup_s: 3.0,
                    concurrency: vec![64, 256],
                    fixed_rates_rps: vec![1000.0],
                    slo_ms: 50.0,
                    server_cpus: vec![2, 3],
                    generator_cpus: vec![0, 1],
                    workers_n: 2,
                    io_connections: 512,
                    idle_connections: 10_000,
                    fixed_rates_by_scenario: BTreeMap::new(),
                    open_connections: 64,
                    workers_scenarios: vec![Scenario::Json],
                    capacity_max_steps: 8,
                    capacity_step_s: 5.0,
                    url: None,
                    plan: PlanSettings {
                        final_rounds: trials,
                        slices: 1,
                        slice_s: 10.0,
                        ..PlanSettings::default()
                    },
                    extra: BTreeMap::from([("ws_rooms".to_string(), serde_json::json!(10))]),
                },
                stacks: Vec::new(),
                points: Vec::new(),
                capacity: Vec::new(),
                rounds: Vec::new(),
                warmups: Vec::new(),
                warnings: Vec::new(),
            },
            seed: 0x5eed,
            histograms: false,
        }
    }

    /// Deterministic uniform in [0, 1).
    pub fn rand(&mut self) -> f64 {
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.seed >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `v` with ± `pct` noise.
    pub fn noisy(&mut self, v: f64, pct: f64) -> f64 {
        v * (1.0 + pct * (2.0 * self.rand() - 1.0))
    }

    pub fn stack(&mut self, name: &str, language: &str, framework: &str) -> &mut StackRecord {
        self.r.settings.stacks.push(name.into());
        let (runtime, packages): (&str, &[(&str, &str)]) = match language {
            "javascript" => ("node v22.11.0", &[("better-sqlite3", "11.5.0")]),
            "python" => ("CPython 3.12.7", &[("numpy", "2.1.3")]),
            _ => ("rustc 1.83.0", &[("tokio", "1.41.1")]),
        };
        self.r.stacks.push(StackRecord {
            name: name.into(),
            base: None,
            variant: None,
            runtime: None,
            threads: None,
            worker_threads: false,
            language: language.into(),
            framework: framework.into(),
            runtime_version: Some(runtime.into()),
            packages: packages
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
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

    pub fn stack_mut(&mut self, name: &str) -> &mut StackRecord {
        self.r.stacks.iter_mut().find(|s| s.name == name).unwrap()
    }

    fn scenario_seen(&mut self, sc: Scenario) {
        if !self.r.settings.scenarios.contains(&sc) {
            self.r.settings.scenarios.push(sc);
            self.r.settings.scenarios.sort();
        }
    }

    /// A latency distribution around `p50_us` with a tail reaching ~`p99_us`.
    fn latency(
        &mut self,
        p50_us: f64,
        p99_us: f64,
        count: u64,
        keep: bool,
    ) -> (LatencyStats, Option<String>) {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 2).unwrap();
        let sigma = ((p99_us / p50_us).max(1.01)).ln() / 2.326;
        let samples = 4000;
        for _ in 0..samples {
            let (u1, u2) = (self.rand().max(1e-12), self.rand());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let v = (p50_us * (sigma * z).exp()).max(1.0) as u64;
            h.record_n(v, (count / samples).max(1)).unwrap();
        }
        let stats = LatencyStats {
            count: h.len(),
            min_us: h.min(),
            mean_us: h.mean(),
            stdev_us: h.stdev(),
            max_us: h.max(),
            p50_us: h.value_at_quantile(0.5),
            p90_us: h.value_at_quantile(0.9),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            p9999_us: h.value_at_quantile(0.9999),
        };
        let b64 = keep.then(|| {
            let mut buf = Vec::new();
            V2DeflateSerializer::new().serialize(&h, &mut buf).unwrap();
            base64::engine::general_purpose::STANDARD.encode(buf)
        });
        (stats, b64)
    }

    #[allow(clippy::too_many_arguments)]
    fn load(
        &mut self,
        mode: &str,
        connections: usize,
        rps: f64,
        target: Option<f64>,
        p50: f64,
        p99: f64,
        errors: u64,
        keep: bool,
    ) -> LoadReport {
        let duration_s = self.r.settings.duration_s;
        let requests = (rps * duration_s) as u64;
        let (latency, histogram_b64) = self.latency(p50, p99, requests, keep);
        LoadReport {
            schema: LOAD_SCHEMA.into(),
            mode: mode.into(),
            connections,
            connections_open: None,
            duration_s,
            requests,
            throughput_rps: rps,
            target_rps: target,
            achieved_rps: target.map(|t| t.min(rps * 1.001)),
            late_sends: 0,
            unsent: 0,
            max_send_lag_us: 0,
            latency,
            latency_uncorrected: None,
            status_counts: BTreeMap::from([(200, requests)]),
            errors: ErrorCounts {
                timeout: errors,
                ..Default::default()
            },
            bytes_in: requests * 180,
            bytes_out: requests * 90,
            per_second: vec![rps as u64; duration_s as usize],
            per_100ms: Vec::new(),
            generator: GeneratorUsage {
                cpu_s: 6.0,
                threads: 2,
                utilization: 0.3,
                saturated: false,
            },
            warnings: Vec::new(),
            histogram_b64,
            histogram_uncorrected_b64: None,
            run: None,
        }
    }

    fn usage(
        &mut self,
        rps: f64,
        cpu_us_per_req: f64,
        rss_idle: u64,
        rss_peak: u64,
        conc: Option<f64>,
    ) -> ServerUsage {
        let cpu = self.noisy(cpu_us_per_req, 0.03);
        ServerUsage {
            cpu_us: (cpu * rps * self.r.settings.duration_s) as u64,
            cpu_us_per_req: Some(cpu),
            cpu_source: "cgroup".into(),
            rss_idle_bytes: rss_idle,
            rss_peak_bytes: (self.noisy(rss_peak as f64, 0.02)) as u64,
            concurrency_achieved: conc,
            wall_us: (self.r.settings.duration_s * 1e6) as u64,
            cores_used: Some(cpu * rps / 1e6),
            memory_kind: "pss".into(),
        }
    }

    /// Closed-loop peak points, one per trial, `rps` ± `noise`.
    #[allow(clippy::too_many_arguments)]
    pub fn peak(
        &mut self,
        stack: &str,
        sc: Scenario,
        connections: usize,
        workers: u32,
        rps: f64,
        noise: f64,
        cpu_us: f64,
        rss_idle: u64,
        rss_peak: u64,
    ) {
        self.scenario_seen(sc);
        for trial in 1..=self.r.settings.trials {
            let thr = self.noisy(rps, noise);
            let lat = connections as f64 / thr * 1e6;
            let load = self.load(
                "closed",
                connections,
                thr,
                None,
                lat * 0.9,
                lat * 3.0,
                0,
                false,
            );
            let server = self.usage(thr, cpu_us, rss_idle, rss_peak, None);
            self.r.points.push(Point {
                stack: stack.into(),
                scenario: sc,
                target: sc.default_path().unwrap_or("/json").into(),
                kind: PointKind::Peak { connections },
                workers,
                trial,
                slice: 1,
                at_s: 0.0,
                load: Some(load),
                ws: None,
                server,
                foreign_cpu: None,
                flags: Vec::new(),
                valid: true,
            });
        }
    }

    /// Open-loop points at `rate`, p99 around `p99_us`.
    #[allow(clippy::too_many_arguments)]
    pub fn fixed(
        &mut self,
        stack: &str,
        sc: Scenario,
        rate: f64,
        achieved: f64,
        p50_us: f64,
        p99_us: f64,
        cpu_us: f64,
        rss: u64,
    ) {
        self.scenario_seen(sc);
        let keep = self.histograms;
        for trial in 1..=self.r.settings.trials {
            let p99 = self.noisy(p99_us, 0.08);
            let p50 = self.noisy(p50_us, 0.05);
            let thr = achieved.min(rate);
            let load = self.load("open", 64, thr, Some(rate), p50, p99, 0, keep);
            let server = self.usage(thr, cpu_us, rss, rss, None);
            let mut flags = Vec::new();
            if achieved < rate * 0.95 {
                flags.push(Flag::RateNotReached {
                    target_rps: rate,
                    achieved_rps: achieved,
                });
            }
            self.r.points.push(Point {
                stack: stack.into(),
                scenario: sc,
                target: sc.default_path().unwrap_or("/").into(),
                kind: PointKind::FixedRate { rps: rate },
                workers: 1,
                trial,
                slice: 1,
                at_s: 0.0,
                load: Some(load),
                ws: None,
                server,
                foreign_cpu: None,
                flags,
                valid: true,
            });
        }
    }

    /// `io` points at `connections`: throughput and requests in flight achieved.
    #[allow(clippy::too_many_arguments)]
    pub fn io(
        &mut self,
        stack: &str,
        connections: usize,
        workers: u32,
        rps: f64,
        in_flight: f64,
        cpu_us: f64,
        rss: u64,
        errors: u64,
    ) {
        self.scenario_seen(Scenario::Io);
        for trial in 1..=self.r.settings.trials {
            let thr = self.noisy(rps, 0.03);
            let conc = self.noisy(in_flight, 0.02).min(connections as f64);
            let lat = conc / thr * 1e6;
            let load = self.load(
                "closed",
                connections,
                thr,
                None,
                lat,
                lat * 1.3,
                errors,
                false,
            );
            let server = self.usage(thr, cpu_us, rss / 2, rss, Some(conc));
            let flags = if errors > 0 {
                vec![Flag::Errors { count: errors }]
            } else {
                Vec::new()
            };
            self.r.points.push(Point {
                stack: stack.into(),
                scenario: Scenario::Io,
                target: "/io?ms=50".into(),
                kind: PointKind::Io { connections },
                workers,
                trial,
                slice: 1,
                at_s: 0.0,
                load: Some(load),
                ws: None,
                server,
                valid: errors == 0 || errors < (thr * 0.01) as u64,
                foreign_cpu: None,
                flags,
            });
        }
    }

    /// `workers` points at `workers` processes.
    pub fn workers(&mut self, stack: &str, workers: u32, rps: f64, cpu_us: f64, rss: u64) {
        self.scenario_seen(Scenario::Workers);
        for trial in 1..=self.r.settings.trials {
            let thr = self.noisy(rps, 0.04);
            let lat = 256.0 / thr * 1e6;
            let load = self.load("closed", 256, thr, None, lat, lat * 2.5, 0, false);
            let server = self.usage(thr, cpu_us, rss, rss, None);
            self.r.points.push(Point {
                stack: stack.into(),
                scenario: Scenario::Workers,
                target: "/json".into(),
                kind: PointKind::Peak { connections: 256 },
                workers,
                trial,
                slice: 1,
                at_s: 0.0,
                load: Some(load),
                ws: None,
                server,
                foreign_cpu: None,
                flags: Vec::new(),
                valid: true,
            });
        }
    }

    /// `ws-chat` points: deliveries/s and delivery p99.
    pub fn ws(
        &mut self,
        stack: &str,
        clients: usize,
        delivered_per_s: f64,
        p50_us: f64,
        p99_us: f64,
        cpu_us: f64,
        rss: u64,
    ) {
        self.scenario_seen(Scenario::WsChat);
        let keep = self.histograms;
        for trial in 1..=self.r.settings.trials {
            let d = self.noisy(delivered_per_s, 0.04);
            let p99 = self.noisy(p99_us, 0.08);
            let (latency, histogram_b64) = self.latency(p50_us, p99, (d * 10.0) as u64, keep);
            let ws = WsReport {
                schema: WS_SCHEMA.into(),
                clients,
                rooms: 10,
                msg_rate_per_client: 2.0,
                duration_s: 10.0,
                connected: clients as u64,
                connect_failed: 0,
                dropped: 0,
                sent: (clients as f64 * 20.0) as u64,
                expected_deliveries: (d * 10.0) as u64,
                delivered: (d * 10.0) as u64,
                lost: 0,
                malformed: 0,
                late_sends: 0,
                target_msg_rps: clients as f64 * 2.0,
                achieved_msg_rps: clients as f64 * 2.0,
                delivered_per_s: d,
                latency,
                generator: GeneratorUsage {
                    cpu_s: 8.0,
                    threads: 2,
                    utilization: 0.4,
                    saturated: false,
                },
                warnings: Vec::new(),
                histogram_b64,
                run: None,
            };
            let server = self.usage(d, cpu_us, rss / 2, rss, None);
            self.r.points.push(Point {
                stack: stack.into(),
                scenario: Scenario::WsChat,
                target: "/ws".into(),
                kind: PointKind::Ws {
                    clients,
                    rooms: 10,
                    msg_rate_per_client: 2.0,
                },
                workers: 1,
                trial,
                slice: 1,
                at_s: 0.0,
                load: None,
                ws: Some(ws),
                server,
                foreign_cpu: None,
                flags: Vec::new(),
                valid: true,
            });
        }
    }

    /// Capacity searches, one per trial, around `capacity`.
    pub fn capacity(&mut self, stack: &str, sc: Scenario, unit: &str, capacity: Option<f64>) {
        for trial in 1..=self.r.settings.trials {
            let cap = capacity.map(|c| (self.noisy(c, 0.04) / 50.0).round() * 50.0);
            let slo_ms = self.r.settings.slo_ms;
            let steps = match cap {
                Some(c) => vec![
                    CapacityStep {
                        offered: c / 2.0,
                        achieved: c / 2.0,
                        p99_us: 4_000,
                        errors: 0,
                        passed: true,
                        failed_by: None,
                        generator_utilization: None,
                    },
                    CapacityStep {
                        offered: c,
                        achieved: c,
                        p99_us: 31_000,
                        errors: 0,
                        passed: true,
                        failed_by: None,
                        generator_utilization: None,
                    },
                    CapacityStep {
                        offered: c * 1.25,
                        achieved: c * 1.1,
                        p99_us: 180_000,
                        errors: 0,
                        passed: false,
                        failed_by: Some("slo".into()),
                        generator_utilization: None,
                    },
                ],
                None => vec![CapacityStep {
                    offered: 100.0,
                    achieved: 60.0,
                    p99_us: 900_000,
                    errors: 12,
                    passed: false,
                    failed_by: Some("errors".into()),
                    generator_utilization: None,
                }],
            };
            self.r.capacity.push(CapacityRecord {
                stack: stack.into(),
                scenario: sc,
                workers: 1,
                trial,
                slo_ms,
                unit: unit.into(),
                capacity: cap,
                upper_bound: cap.map(|c| c * 1.25),
                limited_by: if cap.is_some() {
                    "slo".into()
                } else {
                    "errors".into()
                },
                steps,
            });
        }
    }

    /// `idle` records, one per trial.
    pub fn idle(&mut self, stack: &str, kind: IdleKind, bytes_per_conn: f64, open: usize) {
        self.scenario_seen(Scenario::Idle);
        let requested = self.r.settings.idle_connections;
        let trials = self.r.settings.trials;
        let mut recs = Vec::new();
        for trial in 1..=trials {
            let b = self.noisy(bytes_per_conn, 0.03);
            recs.push(IdleRecord {
                kind,
                trial,
                connections_requested: requested,
                connections_open: open,
                rss_before_bytes: 40 * MB,
                rss_after_bytes: 40 * MB + (b * open as f64) as u64,
                rss_mid_bytes: None,
                connections_open_mid: None,
                bytes_per_connection: b,
            });
        }
        self.stack_mut(stack).idle.extend(recs);
    }

    /// Startup times, one per trial.
    pub fn startup(&mut self, stack: &str, ms: f64) {
        self.scenario_seen(Scenario::Startup);
        let trials = self.r.settings.trials;
        let v: Vec<f64> = (0..trials)
            .map(|_| (self.noisy(ms, 0.1) * 10.0).round() / 10.0)
            .collect();
        self.stack_mut(stack).startup_ms = v;
    }

    /// Flags the point of `stack`/`sc`/`trial` matching `pick`.
    pub fn flag(&mut self, stack: &str, sc: Scenario, trial: u32, flag: Flag, valid: bool) {
        for p in self.r.points.iter_mut().filter(|p| {
            p.stack == stack
                && p.scenario == sc
                && p.trial == trial
                && !matches!(p.kind, PointKind::FixedRate { .. })
        }) {
            p.flags.push(flag.clone());
            p.valid = valid;
        }
    }

    pub fn finish(self) -> Results {
        self.r
    }
}

/// The ledger's verdict on claim `id` for the results `r`.
pub fn claim(r: &Results, id: &str) -> ringside::verdict::claims::ClaimVerdict {
    ringside::verdict::claims::ledger(&ringside::verdict::figures::Figures::from_results(r))
        .into_iter()
        .find(|c| c.id == id)
        .unwrap()
}
