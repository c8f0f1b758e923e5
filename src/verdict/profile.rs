//! Project profiles for `ringside recommend`: how much each measured criterion
//! matters, the constraints (SLO, expected peak rate, price of a core), and
//! factors the run cannot measure, which enter only as the user's stated weights.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;

/// A measured criterion a profile weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Peak throughput on json (framework overhead). Higher is better.
    Json,
    /// Peak throughput behind the database (db, else queries, else fortunes). Higher is better.
    Db,
    /// p99 latency at a fixed offered rate on the profile's main scenario. Lower is better.
    Latency,
    /// Capacity at the SLO on the main scenario. Higher is better.
    Capacity,
    /// Server CPU-µs per request on the main scenario. Lower is better.
    CpuCost,
    /// Peak RSS under load on the main scenario. Lower is better.
    Memory,
    /// Throughput with many connections against a slow endpoint. Higher is better.
    Io,
    /// Memory per idle connection. Lower is better.
    IdleMemory,
    /// ws-chat capacity at the SLO. Higher is better.
    WsChat,
    /// Pure-language compute throughput. Higher is better.
    Cpu,
    /// Numeric aggregation throughput. Higher is better.
    Numeric,
    /// Speed-up from 1 to N workers. Higher is better.
    Scaling,
    /// Time to first good response. Lower is better.
    Startup,
}

impl Criterion {
    pub const ALL: [Criterion; 13] = [
        Criterion::Json,
        Criterion::Db,
        Criterion::Latency,
        Criterion::Capacity,
        Criterion::CpuCost,
        Criterion::Memory,
        Criterion::Io,
        Criterion::IdleMemory,
        Criterion::WsChat,
        Criterion::Cpu,
        Criterion::Numeric,
        Criterion::Scaling,
        Criterion::Startup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Criterion::Json => "json",
            Criterion::Db => "db",
            Criterion::Latency => "latency",
            Criterion::Capacity => "capacity",
            Criterion::CpuCost => "cpu_cost",
            Criterion::Memory => "memory",
            Criterion::Io => "io",
            Criterion::IdleMemory => "idle_memory",
            Criterion::WsChat => "ws_chat",
            Criterion::Cpu => "cpu",
            Criterion::Numeric => "numeric",
            Criterion::Scaling => "scaling",
            Criterion::Startup => "startup",
        }
    }

    /// What the criterion measures, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Criterion::Json => "json peak throughput",
            Criterion::Db => "throughput behind the database",
            Criterion::Latency => "p99 latency",
            Criterion::Capacity => "capacity at the SLO",
            Criterion::CpuCost => "server CPU per request",
            Criterion::Memory => "RSS under load",
            Criterion::Io => "throughput at high concurrency (io)",
            Criterion::IdleMemory => "memory per idle connection",
            Criterion::WsChat => "real-time fan-out (ws-chat)",
            Criterion::Cpu => "pure-language compute (cpu)",
            Criterion::Numeric => "numeric aggregation",
            Criterion::Scaling => "multi-core scaling (workers)",
            Criterion::Startup => "startup time",
        }
    }

    /// True when a higher figure is better.
    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            Criterion::Latency
                | Criterion::CpuCost
                | Criterion::Memory
                | Criterion::IdleMemory
                | Criterion::Startup
        )
    }

    /// The scenarios that provide the criterion (`main` for the per-profile ones).
    pub fn scenarios(self, main: Scenario) -> Vec<Scenario> {
        match self {
            Criterion::Json => vec![Scenario::Json],
            Criterion::Db => vec![Scenario::Db, Scenario::Queries, Scenario::Fortunes],
            Criterion::Latency | Criterion::Capacity | Criterion::CpuCost | Criterion::Memory => {
                vec![main]
            }
            Criterion::Io => vec![Scenario::Io],
            Criterion::IdleMemory => vec![Scenario::Idle],
            Criterion::WsChat => vec![Scenario::WsChat],
            Criterion::Cpu => vec![Scenario::Cpu],
            Criterion::Numeric => vec![Scenario::Numeric],
            Criterion::Scaling => vec![Scenario::Workers],
            Criterion::Startup => vec![Scenario::Startup],
        }
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The constraints of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// p99 latency objective, milliseconds (default: the run's SLO).
    pub slo_ms: Option<f64>,
    /// Expected peak rate on the main scenario, requests/s (ws-chat: deliveries/s).
    pub peak_rps: f64,
    /// Price of one core for one hour, in the user's currency.
    pub price_per_core_hour: f64,
    /// Fraction of each core kept free (0.3: plan to run at 70 % CPU).
    #[serde(default = "default_headroom")]
    pub headroom: f64,
}

fn default_headroom() -> f64 {
    0.3
}

/// A factor the run does not measure (team skills, ML ecosystem, hiring), as the user states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatedFactor {
    pub factor: String,
    /// Share of the final score, 0..1; all stated weights together stay below 1.
    pub weight: f64,
    /// The language the factor favours: `python`, `javascript`, `rust`.
    pub favours: String,
}

/// A project profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    /// The scenario closest to the project's traffic: latency, capacity, CPU and memory are read there.
    pub main_scenario: Scenario,
    /// Weight per measured criterion (relative; normalised over the criteria this run measured).
    pub weights: BTreeMap<Criterion, f64>,
    pub constraints: Constraints,
    #[serde(default)]
    pub stated: Vec<StatedFactor>,
}

/// A profile problem; names the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("unknown profile `{0}` (built in: chat, crud, numeric, gateway)")]
    Unknown(String),
    #[error("cannot read profile file {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("profile file {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

const PRICE_PER_CORE_HOUR: f64 = 0.04;

fn profile(
    name: &str,
    description: &str,
    main_scenario: Scenario,
    peak_rps: f64,
    weights: &[(Criterion, f64)],
) -> Profile {
    Profile {
        name: name.into(),
        description: description.into(),
        main_scenario,
        weights: weights.iter().copied().collect(),
        constraints: Constraints {
            slo_ms: None,
            peak_rps,
            price_per_core_hour: PRICE_PER_CORE_HOUR,
            headroom: default_headroom(),
        },
        stated: Vec::new(),
    }
}

/// A built-in profile by name: `chat`, `crud`, `numeric`, `gateway`.
pub fn builtin(name: &str) -> Result<Profile, ProfileError> {
    use Criterion::*;
    Ok(match name {
        "chat" => profile(
            "chat",
            "real-time chat: WebSocket rooms, many idle connections, fan-out",
            Scenario::WsChat,
            5000.0,
            &[
                (WsChat, 0.4),
                (IdleMemory, 0.2),
                (Io, 0.15),
                (CpuCost, 0.15),
                (Memory, 0.1),
            ],
        ),
        "crud" => profile(
            "crud",
            "CRUD API: JSON over a database, steady traffic",
            Scenario::Db,
            2000.0,
            &[
                (Db, 0.35),
                (Latency, 0.2),
                (CpuCost, 0.2),
                (Json, 0.1),
                (Memory, 0.1),
                (Startup, 0.05),
            ],
        ),
        "numeric" => profile(
            "numeric",
            "numeric/data API: CPU-bound aggregation per request",
            Scenario::Numeric,
            200.0,
            &[
                (Numeric, 0.45),
                (Cpu, 0.2),
                (CpuCost, 0.2),
                (Latency, 0.1),
                (Scaling, 0.05),
            ],
        ),
        "gateway" => profile(
            "gateway",
            "I/O gateway: many concurrent requests waiting on slow downstreams",
            Scenario::Io,
            5000.0,
            &[
                (Io, 0.4),
                (IdleMemory, 0.15),
                (Latency, 0.15),
                (CpuCost, 0.15),
                (Json, 0.15),
            ],
        ),
        other => return Err(ProfileError::Unknown(other.into())),
    })
}

/// The built-in profile names.
pub const BUILTIN: [&str; 4] = ["chat", "crud", "numeric", "gateway"];

impl Profile {
    /// Parses a TOML profile file and checks its weights.
    pub fn from_toml(text: &str, path: &str) -> Result<Profile, ProfileError> {
        let invalid = |message: String| ProfileError::Invalid {
            path: path.into(),
            message,
        };
        let p: Profile =
            toml::from_str(text).map_err(|e| invalid(crate::input::toml_error(text, &e)))?;
        p.validate().map_err(invalid)?;
        Ok(p)
    }

    /// Reads and parses a profile file.
    pub fn from_file(path: &Path) -> Result<Profile, ProfileError> {
        let shown = path.display().to_string();
        let text = crate::input::read_text(path, "a profile", crate::input::PROFILE_MAX_BYTES)
            .map_err(|source| ProfileError::Read {
                path: shown.clone(),
                source,
            })?;
        Profile::from_toml(&text, &shown)
    }

    /// Checks weights and constraints; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        for (c, w) in &self.weights {
            if !w.is_finite() || *w < 0.0 {
                return Err(format!("weights.{c} must be a number ≥ 0 (got {w})"));
            }
        }
        if self.weights.values().sum::<f64>() <= 0.0 {
            return Err("weights: at least one weight must be above 0".into());
        }
        let c = &self.constraints;
        if c.peak_rps.is_nan() || c.peak_rps <= 0.0 {
            return Err(format!(
                "constraints.peak_rps must be above 0 (got {})",
                c.peak_rps
            ));
        }
        if c.price_per_core_hour.is_nan() || c.price_per_core_hour < 0.0 {
            return Err(format!(
                "constraints.price_per_core_hour must be ≥ 0 (got {})",
                c.price_per_core_hour
            ));
        }
        if !(0.0..0.95).contains(&c.headroom) {
            return Err(format!(
                "constraints.headroom must be in 0..0.95 (got {})",
                c.headroom
            ));
        }
        if let Some(slo) = c.slo_ms
            && (slo.is_nan() || slo <= 0.0)
        {
            return Err(format!("constraints.slo_ms must be above 0 (got {slo})"));
        }
        let stated: f64 = self.stated.iter().map(|s| s.weight).sum();
        if self.stated.iter().any(|s| !(0.0..1.0).contains(&s.weight)) || stated >= 1.0 {
            return Err(format!(
                "stated weights must each be in 0..1 and add up to less than 1 (got {stated})"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_valid() {
        for name in BUILTIN {
            builtin(name).unwrap().validate().unwrap();
        }
        assert!(builtin("blog").unwrap_err().to_string().contains("crud"));
    }

    #[test]
    fn profile_file_round_trip_and_errors() {
        let text = r#"
name = "shop"
description = "our shop API"
main_scenario = "queries"
[weights]
db = 0.5
latency = 0.3
cpu_cost = 0.2
[constraints]
slo_ms = 100
peak_rps = 800
price_per_core_hour = 0.05
[[stated]]
factor = "the team knows Python"
weight = 0.25
favours = "python"
"#;
        let p = Profile::from_toml(text, "shop.toml").unwrap();
        assert_eq!(p.main_scenario, Scenario::Queries);
        assert_eq!(p.constraints.headroom, 0.3);
        let bad = text.replace("db = 0.5", "dbb = 0.5");
        let err = Profile::from_toml(&bad, "shop.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("shop.toml") && err.contains("dbb"), "{err}");
        let bad = text.replace("weight = 0.25", "weight = 1.5");
        let err = Profile::from_toml(&bad, "shop.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("stated weights"), "{err}");
    }
}
