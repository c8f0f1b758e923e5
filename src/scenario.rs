//! The scenario catalogue of the workload contract (`spec/contract.md`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One scenario of the catalogue. The first ten are endpoints a stack lists in
/// its manifest; the last four apply to every stack and are run by the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    Plaintext,
    Json,
    Db,
    Queries,
    Fortunes,
    Updates,
    Io,
    Cpu,
    Numeric,
    WsChat,
    Idle,
    Workers,
    Startup,
    Footprint,
}

impl Scenario {
    /// Every scenario, in catalogue order.
    pub const ALL: [Scenario; 14] = [
        Scenario::Plaintext,
        Scenario::Json,
        Scenario::Db,
        Scenario::Queries,
        Scenario::Fortunes,
        Scenario::Updates,
        Scenario::Io,
        Scenario::Cpu,
        Scenario::Numeric,
        Scenario::WsChat,
        Scenario::Idle,
        Scenario::Workers,
        Scenario::Startup,
        Scenario::Footprint,
    ];

    /// The name used on the command line, in manifests and in results files.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Plaintext => "plaintext",
            Scenario::Json => "json",
            Scenario::Db => "db",
            Scenario::Queries => "queries",
            Scenario::Fortunes => "fortunes",
            Scenario::Updates => "updates",
            Scenario::Io => "io",
            Scenario::Cpu => "cpu",
            Scenario::Numeric => "numeric",
            Scenario::WsChat => "ws-chat",
            Scenario::Idle => "idle",
            Scenario::Workers => "workers",
            Scenario::Startup => "startup",
            Scenario::Footprint => "footprint",
        }
    }

    /// True for scenarios a stack implements as an endpoint (listed in its manifest).
    pub fn is_endpoint(self) -> bool {
        !matches!(
            self,
            Scenario::Idle | Scenario::Workers | Scenario::Startup | Scenario::Footprint
        )
    }

    /// True when the scenario needs the database.
    pub fn needs_db(self) -> bool {
        matches!(
            self,
            Scenario::Db | Scenario::Queries | Scenario::Fortunes | Scenario::Updates
        )
    }

    /// The path and query the load generator requests for an HTTP scenario
    /// (`None` for ws-chat and the harness-only scenarios).
    pub fn default_path(self) -> Option<&'static str> {
        match self {
            Scenario::Plaintext => Some("/plaintext"),
            Scenario::Json => Some("/json"),
            Scenario::Db => Some("/db"),
            Scenario::Queries => Some("/queries?q=20"),
            Scenario::Fortunes => Some("/fortunes"),
            Scenario::Updates => Some("/updates?q=5"),
            Scenario::Io => Some("/io?ms=50"),
            Scenario::Cpu => Some("/cpu?n=10000"),
            Scenario::Numeric => Some("/numeric?n=100000"),
            _ => None,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown scenario name; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario `{0}` (known: {known})", known = Scenario::ALL.map(Scenario::name).join(", "))]
pub struct UnknownScenario(pub String);

impl FromStr for Scenario {
    type Err = UnknownScenario;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| UnknownScenario(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for sc in Scenario::ALL {
            assert_eq!(sc.name().parse::<Scenario>().unwrap(), sc);
            let json = serde_json::to_string(&sc).unwrap();
            assert_eq!(json, format!("\"{}\"", sc.name()));
        }
    }

    #[test]
    fn unknown_scenario_lists_known_ones() {
        let err = "jsonn".parse::<Scenario>().unwrap_err();
        assert!(err.to_string().contains("jsonn"));
        assert!(err.to_string().contains("plaintext"));
    }
}
