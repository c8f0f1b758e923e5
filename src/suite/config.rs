//! The validated configuration of `ringside run` ([`SuiteConfig`]): presets
//! (`--quick`, `--full`), flag overrides, and the settings recorded in the
//! results file. `--resume` reloads the settings of the interrupted run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::bad_input;
use crate::scenario::Scenario;

use super::cli::RunArgs;
use crate::results::{Results, Settings};

/// A flag with a bad value; the message names the flag.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    UnknownScenario(#[from] crate::scenario::UnknownScenario),
    #[error("--{flag} {value}: {why}")]
    BadValue {
        flag: &'static str,
        value: String,
        why: String,
    },
    #[error(
        "--url {0}: only http:// URLs on the loopback interface (127.0.0.1, localhost, ::1) are measured"
    )]
    NotLoopback(String),
    #[error("--out {path}: cannot write results there: {why}")]
    OutNotWritable { path: String, why: String },
    #[error("--resume {path}: {why}")]
    BadResume { path: String, why: String },
}

fn bad(flag: &'static str, value: impl ToString, why: impl Into<String>) -> anyhow::Error {
    bad_input(ConfigError::BadValue {
        flag,
        value: value.to_string(),
        why: why.into(),
    })
}

/// Key of `settings.extra` recording the runtimes chosen (`--node`, `--python`).
pub const RUNTIMES_KEY: &str = "runtimes";

/// Everything `ringside run` needs, validated.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// The settings recorded in the results file (stack names filled in once discovered).
    pub settings: Settings,
    /// Built-in stacks selected by name (empty: all).
    pub stack_filter: Vec<String>,
    /// User manifests added with `--stack`.
    pub extra_stacks: Vec<PathBuf>,
    /// Bring-your-own server.
    pub url: Option<url::Url>,
    /// Its process id, for CPU and memory.
    pub pid: Option<u32>,
    /// Results folder.
    pub out: PathBuf,
    /// The interrupted run being continued.
    pub resume: Option<Results>,
    /// The argv of this invocation.
    pub command: Vec<String>,
    /// Folder of the built-in stacks.
    pub stacks_root: PathBuf,
    /// `--shared-machine`: measured without the machine lock; every point is flagged.
    pub shared_machine: bool,
    /// The Node.js versions and Python interpreters the stacks run on.
    pub runtimes: crate::stack::bind::RuntimeChoice,
}

/// The scenarios of the default run: what the claims ledger needs.
pub const STANDARD_SCENARIOS: [Scenario; 11] = [
    Scenario::Plaintext,
    Scenario::Json,
    Scenario::Db,
    Scenario::Io,
    Scenario::Cpu,
    Scenario::Numeric,
    Scenario::WsChat,
    Scenario::Idle,
    Scenario::Workers,
    Scenario::Startup,
    Scenario::Footprint,
];

/// The scenarios every stack is screened on in the default run (plaintext,
/// which measures much what json does, is left to the finals).
pub const SCREENING_SCENARIOS: [Scenario; 5] = [
    Scenario::Json,
    Scenario::Io,
    Scenario::Idle,
    Scenario::Startup,
    Scenario::Footprint,
];

/// The scenarios of `--quick`.
pub const QUICK_SCENARIOS: [Scenario; 7] = [
    Scenario::Plaintext,
    Scenario::Json,
    Scenario::Db,
    Scenario::Io,
    Scenario::Cpu,
    Scenario::Startup,
    Scenario::Footprint,
];

/// The offered rate (requests/s) a scenario is compared at: low enough that
/// every stack should sustain it on one core, so latency compares like for like.
pub fn base_rate_rps(scenario: Scenario) -> f64 {
    match scenario {
        Scenario::Plaintext | Scenario::Json => 500.0,
        Scenario::Db => 200.0,
        Scenario::Fortunes => 100.0,
        Scenario::Queries => 40.0,
        Scenario::Updates => 20.0,
        Scenario::Io => 100.0,
        Scenario::Cpu => 10.0,
        Scenario::Numeric => 20.0,
        _ => 100.0,
    }
}

/// The settings each kind of run starts from (flags override them).
#[derive(Debug, Clone)]
pub struct Preset {
    /// Rounds (`standard`: final rounds after the screening).
    pub trials: u32,
    pub screening_rounds: u32,
    pub slices: u32,
    pub slice_s: f64,
    pub fixed_s: f64,
    pub concurrency: &'static [usize],
    pub workers_scenarios: &'static [Scenario],
    pub capacity_steps: u32,
    pub capacity_step_s: f64,
    /// Capacity searches on every endpoint scenario (else only ws-chat's, which K7 reads).
    pub capacity_everywhere: bool,
    /// Shorter minimum warm-ups (the quick look).
    pub short_warmups: bool,
    /// Warm-up ceiling, seconds.
    pub warmup_max_s: f64,
}

impl Preset {
    pub fn of(suite: &str) -> Preset {
        let standard = Preset {
            trials: 2,
            screening_rounds: 1,
            slices: 2,
            slice_s: 1.0,
            fixed_s: 1.5,
            concurrency: &[64],
            workers_scenarios: &[Scenario::Cpu],
            capacity_steps: 4,
            capacity_step_s: 1.0,
            capacity_everywhere: false,
            short_warmups: false,
            warmup_max_s: 15.0,
        };
        match suite {
            "quick" => Preset {
                trials: 1,
                screening_rounds: 0,
                slices: 1,
                slice_s: 2.0,
                fixed_s: 1.5,
                capacity_steps: 0,
                short_warmups: true,
                warmup_max_s: 6.0,
                ..standard
            },
            "full" => Preset {
                trials: 3,
                screening_rounds: 0,
                slices: 3,
                slice_s: 2.0,
                fixed_s: 3.0,
                concurrency: &[16, 64, 256],
                workers_scenarios: &[Scenario::Json, Scenario::Cpu],
                capacity_steps: 8,
                capacity_step_s: 2.0,
                capacity_everywhere: true,
                warmup_max_s: 30.0,
                ..standard
            },
            "custom" => Preset {
                trials: 3,
                screening_rounds: 0,
                ..standard
            },
            _ => standard,
        }
    }

    /// The layout of the rounds for these scenarios.
    pub fn plan(&self, scenarios: &[Scenario], trials: u32) -> crate::results::PlanSettings {
        let mut plan = crate::results::PlanSettings::default();
        let endpoints: Vec<Scenario> = scenarios
            .iter()
            .copied()
            .filter(|s| s.is_endpoint())
            .collect();
        if self.screening_rounds > 0 {
            plan.screening_rounds = self.screening_rounds;
            plan.final_rounds = trials;
            plan.screening_scenarios = SCREENING_SCENARIOS.to_vec();
            plan.ceiling_final_rounds = 1;
            // Latency and memory at the same offered rate where the claims and
            // the profiles read them.
            plan.fixed_rate_scenarios = vec![Scenario::Json, Scenario::Db];
            plan.capacity_scenarios = vec![Scenario::WsChat];
        } else {
            plan.fixed_rate_scenarios = endpoints
                .iter()
                .copied()
                .filter(|s| *s != Scenario::WsChat)
                .collect();
            plan.capacity_scenarios = endpoints
                .iter()
                .copied()
                .filter(|s| self.capacity_everywhere || *s == Scenario::WsChat)
                .collect();
        }
        plan.fixed_s = self.fixed_s;
        let chunks = (self.warmup_max_s / plan.chunk_s).round() as usize;
        plan.first_warmup.max_chunks = chunks;
        plan.warmup.max_chunks = chunks.min(plan.warmup.max_chunks.max(chunks / 2));
        if self.short_warmups {
            plan.first_warmup.min_chunks = 4;
            plan.first_warmup.window = 2;
            plan.warmup.min_chunks = 2;
            plan.warmup.window = 1;
        }
        plan
    }
}

/// Number of cores ringside may use.
pub fn cores() -> usize {
    crate::load::sys::allowed_cpus().len().max(1)
}

/// The default pinning on the cores this process may use (its affinity
/// mask, which a container's cpuset or `taskset` narrows to any cores, not
/// always 0..n): the server on the first, the generator on the others (on
/// the same one when there is only one; the points then say shared cores).
pub fn default_cpus(allowed: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let server = vec![allowed.first().copied().unwrap_or(0)];
    let generator = other_cpus(allowed, &server);
    (server, generator)
}

/// The generator's default cores beside `server`: the allowed cores the
/// server does not have; with a single allowed core, that one (shared).
/// Empty when the server was given every core of several: the run refuses.
pub fn other_cpus(allowed: &[usize], server: &[usize]) -> Vec<usize> {
    let rest: Vec<usize> = allowed
        .iter()
        .copied()
        .filter(|c| !server.contains(c))
        .collect();
    if rest.is_empty() && allowed.len() < 2 {
        server.to_vec()
    } else {
        rest
    }
}

impl SuiteConfig {
    /// Validates the flags (or reloads the settings of `--resume DIR`).
    pub fn from_args(args: &RunArgs, command: Vec<String>) -> anyhow::Result<SuiteConfig> {
        if let Some(dir) = &args.resume {
            super::outdir::check_resume_flags(args, dir)?;
            return Self::resumed(dir, command);
        }
        let ncores = cores();
        let full = args.full;
        let quick = args.quick;
        let custom = !args.scenarios.is_empty();
        let mut scenarios: Vec<Scenario> = if custom {
            let mut v = Vec::new();
            for name in &args.scenarios {
                let sc: Scenario = name
                    .trim()
                    .parse()
                    .map_err(|e| bad_input(ConfigError::UnknownScenario(e)))?;
                if !v.contains(&sc) {
                    v.push(sc);
                }
            }
            v
        } else if full {
            Scenario::ALL.to_vec()
        } else if quick {
            QUICK_SCENARIOS.to_vec()
        } else {
            STANDARD_SCENARIOS.to_vec()
        };
        scenarios.sort();
        let suite = if custom {
            "custom"
        } else if full {
            "full"
        } else if quick {
            "quick"
        } else {
            "standard"
        };
        let preset = Preset::of(suite);

        let trials = args.tuning.trials.unwrap_or(preset.trials);
        if !(1..=100).contains(&trials) {
            return Err(bad("trials", trials, "must be between 1 and 100"));
        }
        let duration = args
            .tuning
            .duration
            .unwrap_or(Duration::from_secs_f64(preset.slice_s));
        if duration < Duration::from_millis(200) || duration > Duration::from_secs(3600) {
            return Err(bad(
                "duration",
                humantime::format_duration(duration),
                "must be between 200ms and 1h",
            ));
        }
        let slices = args.tuning.slices.unwrap_or(preset.slices);
        if !(1..=100).contains(&slices) {
            return Err(bad("slices", slices, "must be between 1 and 100"));
        }
        let index_env = std::env::var("JOB_COMPLETION_INDEX").ok();
        let shard =
            crate::load::shard::resolve(args.shard.as_deref(), args.shards, index_env.as_deref())?;
        let mut plan = preset.plan(&scenarios, trials);
        if shard.is_some() {
            // A shard cannot choose finalists among stacks it does not run:
            // every stack of the shard is measured in every round.
            plan.screening_rounds = 0;
            plan.final_rounds = 0;
            plan.ceiling_final_rounds = 0;
        }
        plan.slices = slices;
        plan.slice_s = duration.as_secs_f64();
        if let Some(b) = args.tuning.budget
            && (b < Duration::from_secs(60) || b > Duration::from_secs(24 * 3600))
        {
            return Err(bad(
                "budget",
                humantime::format_duration(b),
                "the run's wall-clock budget must be between 1m and 24h",
            ));
        }
        plan.adaptive = super::adaptive::settings(
            args.tuning.budget,
            args.tuning.until_decided,
            suite == "standard",
            shard.is_none() && args.url.is_none(),
        );
        if let Some(a) = &mut plan.adaptive {
            // Rounds the user fixed are theirs; the preset's may be fewer
            // when the installs ate the budget (`suite::fit`).
            a.fit_planned = args.tuning.trials.is_none();
        }
        if let Some(w) = args.tuning.warmup {
            if w < Duration::from_millis(100) || w > Duration::from_secs(600) {
                return Err(bad(
                    "warmup",
                    humantime::format_duration(w),
                    "the warm-up ceiling must be between 100ms and 10m",
                ));
            }
            // A ceiling shorter than one chunk is one chunk of that length.
            plan.chunk_s = plan.chunk_s.min(w.as_secs_f64());
            let chunks = (w.as_secs_f64() / plan.chunk_s).round().max(1.0) as usize;
            plan.first_warmup.max_chunks = chunks;
            plan.warmup.max_chunks = chunks;
        }
        let warmup = Duration::from_secs_f64(plan.first_warmup.max_chunks as f64 * plan.chunk_s);
        if !(args.tuning.slo.is_finite() && args.tuning.slo > 0.0) {
            return Err(bad(
                "slo",
                args.tuning.slo,
                "must be a positive number of milliseconds",
            ));
        }
        let concurrency = if args.tuning.concurrency.is_empty() {
            preset.concurrency.to_vec()
        } else {
            args.tuning.concurrency.clone()
        };
        if let Some(c) = concurrency.iter().find(|&&c| c == 0 || c > 100_000) {
            return Err(bad("concurrency", c, "must be between 1 and 100000"));
        }
        if let Some(r) = args
            .tuning
            .rates
            .iter()
            .find(|r| !(r.is_finite() && **r > 0.0))
        {
            return Err(bad("rates", r, "must be positive requests/s"));
        }
        let mut by_scenario = BTreeMap::new();
        for sc in scenarios.iter().filter(|s| s.default_path().is_some()) {
            let rates = if !args.tuning.rates.is_empty() {
                args.tuning.rates.clone()
            } else if full {
                let b = base_rate_rps(*sc);
                vec![b / 4.0, b, b * 4.0]
            } else {
                vec![base_rate_rps(*sc)]
            };
            if !plan.fixed_rate_scenarios.contains(sc) && args.tuning.rates.is_empty() {
                continue;
            }
            by_scenario.insert(sc.name().to_string(), rates);
        }

        let allowed = crate::load::sys::allowed_cpus();
        let server_cpus = if args.tuning.server_cpus.is_empty() {
            default_cpus(&allowed).0
        } else {
            args.tuning.server_cpus.clone()
        };
        let generator_cpus = if args.tuning.generator_cpus.is_empty() {
            other_cpus(&allowed, &server_cpus)
        } else {
            args.tuning.generator_cpus.clone()
        };
        for (flag, cpus) in [
            ("server-cpus", &server_cpus),
            ("generator-cpus", &generator_cpus),
        ] {
            if let Some(c) = cpus.iter().find(|c| !allowed.contains(c)) {
                return Err(bad(
                    flag,
                    c,
                    format!(
                        "this process may use cores {}",
                        crate::load::sys::cpu_list(&allowed)
                    ),
                ));
            }
            if cpus.is_empty() {
                return Err(bad(flag, "", "no core left; name one"));
            }
        }
        let workers_n = args.tuning.workers_n.unwrap_or(ncores as u32);
        if !(1..=256).contains(&workers_n) {
            return Err(bad("workers-n", workers_n, "must be between 1 and 256"));
        }
        if args.tuning.io_connections == 0 || args.tuning.io_connections > 50_000 {
            return Err(bad(
                "io-connections",
                args.tuning.io_connections,
                "must be between 1 and 50000",
            ));
        }
        if args.tuning.idle_connections == 0 || args.tuning.idle_connections > 100_000 {
            return Err(bad(
                "idle-connections",
                args.tuning.idle_connections,
                "must be between 1 and 100000",
            ));
        }

        let url = match &args.url {
            None => None,
            Some(raw) => Some(parse_loopback(raw)?),
        };

        let out = match &args.out {
            Some(p) => p.clone(),
            None => PathBuf::from("ringside-results")
                .join(chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string()),
        };
        super::outdir::check_new_out(&out, args.force)?;
        ensure_writable(&out)?;

        let runtimes = args.runtimes.choice()?;
        let mut extra = BTreeMap::new();
        extra.insert(RUNTIMES_KEY.into(), runtimes.record());
        if !args.extra_stacks.is_empty() {
            let paths: Vec<String> = args
                .extra_stacks
                .iter()
                .map(|p| {
                    std::path::absolute(p)
                        .unwrap_or_else(|_| p.clone())
                        .display()
                        .to_string()
                })
                .collect();
            extra.insert("stack_manifests".into(), serde_json::json!(paths));
        }
        if scenarios.contains(&Scenario::WsChat) {
            super::ws::WsSettings::defaults(full).record(&mut extra);
        }
        if let Some(pid) = args.pid {
            extra.insert("pid".into(), serde_json::json!(pid));
        }
        if let Some(sh) = shard {
            extra.insert(
                crate::results::merge::SHARD_KEY.into(),
                serde_json::json!(sh.to_string()),
            );
        }

        let settings = Settings {
            suite: suite.into(),
            scenarios,
            stacks: args.stacks.clone(),
            db: args.db,
            trials,
            duration_s: duration.as_secs_f64(),
            warmup_s: warmup.as_secs_f64(),
            concurrency,
            fixed_rates_rps: if args.tuning.rates.is_empty() {
                Vec::new()
            } else {
                args.tuning.rates.clone()
            },
            slo_ms: args.tuning.slo,
            server_cpus,
            generator_cpus,
            workers_n,
            io_connections: args.tuning.io_connections,
            idle_connections: args.tuning.idle_connections,
            fixed_rates_by_scenario: by_scenario,
            open_connections: 64,
            workers_scenarios: preset.workers_scenarios.to_vec(),
            capacity_max_steps: args
                .tuning
                .capacity_steps
                .unwrap_or(preset.capacity_steps)
                .min(50),
            capacity_step_s: preset.capacity_step_s,
            plan,
            url: url.as_ref().map(|u| u.to_string()),
            extra,
        };
        Ok(SuiteConfig {
            stack_filter: args.stacks.clone(),
            extra_stacks: args.extra_stacks.clone(),
            url,
            pid: args.pid,
            out,
            resume: None,
            command,
            stacks_root: crate::stack::stacks_root(),
            settings,
            shared_machine: false,
            runtimes,
        })
    }

    fn resumed(dir: &Path, command: Vec<String>) -> anyhow::Result<SuiteConfig> {
        let err = |why: String| {
            bad_input(ConfigError::BadResume {
                path: dir.display().to_string(),
                why,
            })
        };
        let file = dir.join("results.json");
        let text =
            crate::input::read_text(&file, "a results file", crate::input::RESULTS_MAX_BYTES)
                .map_err(|e| err(format!("cannot read {}: {e}", file.display())))?;
        let results: Results = serde_json::from_str(&text).map_err(|e| {
            err(format!(
                "not a ringside results file: {}",
                crate::input::json_error(&e)
            ))
        })?;
        if results.schema != crate::results::RESULTS_SCHEMA {
            return Err(err(format!(
                "schema {} is not {}",
                crate::input::printable(&results.schema, 100),
                crate::results::RESULTS_SCHEMA
            )));
        }
        crate::results::validate::validate_file(&results, &file)?;
        super::outdir::check_not_in_use(dir, "--resume")?;
        ensure_writable(dir)?;
        let s = results.settings.clone();
        let extra_stacks = s
            .extra
            .get("stack_manifests")
            .and_then(|v| serde_json::from_value::<Vec<PathBuf>>(v.clone()).ok())
            .unwrap_or_default();
        let pid = s
            .extra
            .get("pid")
            .and_then(|v| v.as_u64())
            .map(|p| p as u32);
        let url = match &s.url {
            Some(u) => Some(parse_loopback(u)?),
            None => None,
        };
        let runtimes = crate::stack::bind::RuntimeChoice::from_record(s.extra.get(RUNTIMES_KEY))?;
        Ok(SuiteConfig {
            runtimes,
            stack_filter: s.stacks.clone(),
            extra_stacks,
            url,
            pid,
            out: dir.to_path_buf(),
            resume: Some(results),
            command,
            stacks_root: crate::stack::stacks_root(),
            settings: s,
            shared_machine: false,
        })
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.settings.duration_s)
    }
    pub fn warmup(&self) -> Duration {
        Duration::from_secs_f64(self.settings.warmup_s)
    }
    /// Offered rates of the fixed-rate points of `scenario`.
    pub fn rates(&self, scenario: Scenario) -> Vec<f64> {
        self.settings
            .fixed_rates_by_scenario
            .get(scenario.name())
            .cloned()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| {
                if self.settings.fixed_rates_rps.is_empty() {
                    vec![base_rate_rps(scenario)]
                } else {
                    self.settings.fixed_rates_rps.clone()
                }
            })
    }
    /// True when the server and the generator share a core, or share a CPU
    /// quota smaller than the cores they are pinned to.
    pub fn shared_cores(&self) -> bool {
        let s = &self.settings;
        s.server_cpus.iter().any(|c| s.generator_cpus.contains(c)) || self.quota_warning().is_some()
    }

    /// The warning of a CPU quota below the pinned cores (see [`super::machine::cpu_quota_cores`]).
    pub fn quota_warning(&self) -> Option<String> {
        let s = &self.settings;
        let mut pinned: Vec<usize> = s
            .server_cpus
            .iter()
            .chain(&s.generator_cpus)
            .copied()
            .collect();
        pinned.sort_unstable();
        pinned.dedup();
        super::machine::quota_warning(super::machine::cpu_quota_cores(), pinned.len())
    }
}

fn parse_loopback(raw: &str) -> anyhow::Result<url::Url> {
    let u = url::Url::parse(raw).map_err(|e| bad("url", raw, e.to_string()))?;
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if u.scheme() != "http" || !loopback {
        return Err(bad_input(ConfigError::NotLoopback(raw.to_string())));
    }
    Ok(u)
}

/// Creates `dir` and checks a file can be written in it.
pub fn ensure_writable(dir: &Path) -> anyhow::Result<()> {
    let fail = |e: std::io::Error| {
        bad_input(ConfigError::OutNotWritable {
            path: dir.display().to_string(),
            why: e.to_string(),
        })
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".ringside-write-probe");
    std::fs::write(&probe, b"").map_err(fail)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{default_cpus, other_cpus};

    #[test]
    fn default_pinning_follows_the_affinity_mask() {
        // A pod's cpuset or `taskset -c 4,5`: not cores 0..n.
        assert_eq!(default_cpus(&[4, 5]), (vec![4], vec![5]));
        assert_eq!(default_cpus(&[0, 1, 2, 3]), (vec![0], vec![1, 2, 3]));
        assert_eq!(default_cpus(&[7]), (vec![7], vec![7]));
        // The generator beside a server given by hand.
        assert_eq!(other_cpus(&[0, 1, 2, 3], &[1, 2]), vec![0, 3]);
        assert_eq!(other_cpus(&[3], &[3]), vec![3]);
        assert!(
            other_cpus(&[0, 1], &[0, 1]).is_empty(),
            "refused: no core left"
        );
    }
}
