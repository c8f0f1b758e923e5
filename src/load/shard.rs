//! One load run split over N agents (`ringside load --shard I/N`): which part
//! of the single-agent plan agent I drives, and when every agent starts.
//!
//! The split is exact — the union of the N agents' work is the one-agent run:
//! - **connections** and a closed-loop **`-n`**: agent I takes `total / N`,
//!   plus one when `I < total % N`;
//! - **open loop**: the plan numbers its sends 0, 1, 2, … at their intended
//!   times; agent I sends exactly those numbered `I, I+N, I+2N, …` (so at a
//!   constant rate R each agent sends at R/N, offset by I/R), with `-n`
//!   capping the global numbers as for one agent;
//! - **WebSocket**: agent I takes the rooms `r` with `r % N == I` and every
//!   client of those rooms (client `c` joins room `c % rooms`, as in a single
//!   run), so no delivery crosses agents and each counts its own losses.
//!
//! `--start-at` (RFC 3339, or `+5s` from now) makes every agent begin its
//! plan on one wall-clock instant: an agent connects shortly before it, then
//! waits. Indexes are 0-based, like Kubernetes' `JOB_COMPLETION_INDEX`.

use std::fmt;
use std::time::{Duration, SystemTime};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::config::{LoadConfig, Stop};
use super::report::AgentInfo;
use crate::error::bad_input_msg;

/// A start more than this far in the past is refused (agents would not be aligned).
pub const START_PAST_TOLERANCE: Duration = Duration::from_secs(1);
/// A start further than this in the future is refused (a typo, or a wrong clock).
pub const START_FUTURE_BOUND: Duration = Duration::from_secs(3600);
/// How long before `--start-at` an agent opens its connections (shorter than
/// common keep-alive timeouts, e.g. Node's 5 s, so they are still open at the start).
pub const CONNECT_LEAD: Duration = Duration::from_secs(2);

/// Agent `index` of `count` (0 ≤ index < count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Parses `I/N` (0-based I, N ≥ 1).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| "a shard is INDEX/COUNT, e.g. 0/3 (0-based)".to_string())?;
        let number = |s: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{s}` is not a whole number"))
        };
        Shard::new(number(i)?, number(n)?)
    }

    /// Checks `index < count` and `count ≥ 1`.
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err("the shard count must be at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "index {index} is not below the count {count} (indexes are 0-based)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// This agent's part of `total` units split as evenly as possible.
    pub fn share(&self, total: u64) -> u64 {
        let (n, i) = (u64::from(self.count), u64::from(self.index));
        total / n + u64::from(i < total % n)
    }

    /// True when this agent owns room `room` of a WebSocket run.
    pub fn owns_room(&self, room: usize) -> bool {
        room % self.count as usize == self.index as usize
    }
}

/// How this process takes part in a split run; the default is the whole run, now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentPlan {
    /// The part of the run this agent drives (None: all of it).
    pub shard: Option<Shard>,
    /// When the plan starts, on the wall clock (None: as soon as connected).
    pub start_at: Option<SystemTime>,
}

impl AgentPlan {
    /// `total` connections, clients or requests as this agent's part.
    pub fn share(&self, total: u64) -> u64 {
        self.shard.map_or(total, |s| s.share(total))
    }

    /// Open loop: the plan numbers of this agent's sends are `offset + k·stride`
    /// for worker thread `thread` of `threads`.
    pub fn send_numbers(&self, thread: u64, threads: u64) -> (u64, u64) {
        let (i, n) = self
            .shard
            .map_or((0, 1), |s| (u64::from(s.index), u64::from(s.count)));
        (thread * n + i, threads * n)
    }

    /// Sleeps until `lead` before the start (no-op without `--start-at`).
    pub async fn wait_until_before_start(&self, lead: Duration) {
        if let Some(at) = self.start_at
            && let Ok(left) = at.duration_since(SystemTime::now())
            && let Some(wait) = left.checked_sub(lead)
        {
            tokio::time::sleep(wait).await;
        }
    }

    /// Blocks the thread until the start (no-op without `--start-at` or when late).
    pub fn block_until_start(&self) {
        if let Some(at) = self.start_at
            && let Ok(left) = at.duration_since(SystemTime::now())
        {
            std::thread::sleep(left);
        }
    }
}

/// The agent flags of `ringside load`.
#[derive(Debug, Clone, Default, Args)]
pub struct AgentFlags {
    /// Drive only part I of N of the run (0-based), e.g. `--shard 1/3`: its
    /// share of the connections, of `-n`, of the open-loop plan's sends, or of
    /// the WebSocket rooms. The JSON report then always carries its raw
    /// histograms; `ringside merge` adds the agents' reports exactly.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Split the run over N agents, each taking its index from
    /// JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); ignored with --shard.
    #[arg(long, value_name = "N", env = "RINGSIDE_SHARDS")]
    pub shards: Option<u32>,
    /// Start the plan at this wall-clock instant, so every agent begins together:
    /// RFC 3339 (`2026-11-23T10:00:00Z`) or `+DURATION` from now (`+5s`).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub start_at: Option<String>,
}

impl AgentFlags {
    /// Validates the flags (and JOB_COMPLETION_INDEX) into an [`AgentPlan`];
    /// errors name the flag and exit 2.
    pub fn to_plan(&self) -> anyhow::Result<AgentPlan> {
        let index_env = std::env::var("JOB_COMPLETION_INDEX").ok();
        self.to_plan_with(index_env.as_deref(), SystemTime::now())
    }

    fn to_plan_with(&self, index_env: Option<&str>, now: SystemTime) -> anyhow::Result<AgentPlan> {
        let shard = resolve(self.shard.as_deref(), self.shards, index_env)?;
        let start_at = match &self.start_at {
            Some(text) => Some(parse_start_at(text, now)?),
            None => None,
        };
        Ok(AgentPlan { shard, start_at })
    }
}

/// The shard of `--shard I/N`, or of `--shards N` with the index Kubernetes
/// gives an Indexed Job pod (`index_env`, JOB_COMPLETION_INDEX); errors name
/// the flag and exit 2. `--shard` wins when both are given.
pub fn resolve(
    shard: Option<&str>,
    shards: Option<u32>,
    index_env: Option<&str>,
) -> anyhow::Result<Option<Shard>> {
    match (shard, shards) {
        (Some(text), _) => {
            Ok(Some(Shard::parse(text).map_err(|e| {
                bad_input_msg(format!("--shard `{text}`: {e}"))
            })?))
        }
        (None, Some(count)) => {
            let text = index_env.ok_or_else(|| {
                bad_input_msg(format!(
                    "--shards {count} needs this shard's index: give --shard I/{count}, or run \
                     it as a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX)"
                ))
            })?;
            let index = text.trim().parse::<u32>().map_err(|_| {
                bad_input_msg(format!(
                    "JOB_COMPLETION_INDEX `{text}` is not a whole number"
                ))
            })?;
            Ok(Some(Shard::new(index, count).map_err(|e| {
                bad_input_msg(format!(
                    "JOB_COMPLETION_INDEX {index} with --shards {count}: {e}"
                ))
            })?))
        }
        (None, None) => Ok(None),
    }
}

/// The agent plan of `flags` for the validated run `cfg`, refusing a split
/// that would leave an agent with no connection or no request.
pub fn plan_for(flags: &AgentFlags, cfg: &LoadConfig) -> anyhow::Result<AgentPlan> {
    let plan = flags.to_plan()?;
    if let Some(shard) = plan.shard {
        let n = u64::from(shard.count);
        if (cfg.connections as u64) < n {
            return Err(bad_input_msg(format!(
                "--connections {} cannot be split over {n} agents: each needs at least one \
                 (give -c {n} or more)",
                cfg.connections
            )));
        }
        if let Stop::Requests(requests) = cfg.stop
            && requests < n
        {
            return Err(bad_input_msg(format!(
                "--requests {requests} cannot be split over {n} agents: each needs at least one"
            )));
        }
    }
    Ok(plan)
}

/// Parses a `--start-at` value against `now`, refusing a start more than
/// [`START_PAST_TOLERANCE`] ago or more than [`START_FUTURE_BOUND`] ahead.
pub fn parse_start_at(text: &str, now: SystemTime) -> anyhow::Result<SystemTime> {
    let bad = |reason: String| bad_input_msg(format!("--start-at `{text}`: {reason}"));
    let at = match text.trim().strip_prefix('+') {
        Some(rel) => {
            let d = humantime::parse_duration(rel.trim())
                .map_err(|_| bad(format!("`{rel}` is not a duration like 5s")))?;
            now + d
        }
        None => chrono::DateTime::parse_from_rfc3339(text.trim())
            .map_err(|e| {
                bad(format!(
                    "not an RFC 3339 time like 2026-11-23T10:00:00Z, nor +DURATION ({e})"
                ))
            })?
            .into(),
    };
    if let Ok(ago) = now.duration_since(at)
        && ago > START_PAST_TOLERANCE
    {
        return Err(bad(format!(
            "that is {:.1} s in the past (tolerance {} s): agents started from it would not \
             begin together — give a later time (check this machine's clock)",
            ago.as_secs_f64(),
            START_PAST_TOLERANCE.as_secs()
        )));
    }
    if let Ok(ahead) = at.duration_since(now)
        && ahead > START_FUTURE_BOUND
    {
        return Err(bad(format!(
            "that is {:.0} s ahead, more than the {} s bound — is the date or the clock wrong?",
            ahead.as_secs_f64(),
            START_FUTURE_BOUND.as_secs()
        )));
    }
    Ok(at)
}

/// An RFC 3339 UTC timestamp with microseconds, e.g. `2026-11-23T10:00:00.000123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Parses a timestamp written by [`rfc3339`] (any RFC 3339 time).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(SystemTime::from)
}

/// This process as an agent: its shard, host, pod and node (from the
/// environment), and its clock over a window from `window_start` to `ended`.
pub fn agent_info(
    plan: &AgentPlan,
    window_start: SystemTime,
    ended: SystemTime,
    count: u64,
) -> AgentInfo {
    AgentInfo {
        shard: plan.shard,
        hostname: hostname(),
        pod: env_nonempty("POD_NAME"),
        node: env_nonempty("NODE_NAME"),
        start_at: plan.start_at.map(rfc3339),
        window_start: rfc3339(window_start),
        ended_at: rfc3339(ended),
        count,
    }
}

/// This machine's host name ("unknown" when it cannot be read).
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".into())
}

/// A non-empty environment variable.
pub fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(shard: Option<&str>, shards: Option<u32>, start: Option<&str>) -> AgentFlags {
        AgentFlags {
            shard: shard.map(String::from),
            shards,
            start_at: start.map(String::from),
        }
    }

    fn msg(r: anyhow::Result<AgentPlan>) -> String {
        let err = r.unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2, "{err:#}");
        format!("{err:#}")
    }

    #[test]
    fn shares_add_up_to_the_total() {
        for n in 1..=7u32 {
            for total in [0u64, 1, 2, 3, 10, 64, 1001] {
                let sum: u64 = (0..n).map(|i| Shard::new(i, n).unwrap().share(total)).sum();
                assert_eq!(sum, total, "{total} over {n}");
            }
        }
        assert_eq!(Shard::parse("0/3").unwrap().share(10), 4);
        assert_eq!(Shard::parse("2/3").unwrap().share(10), 3);
    }

    #[test]
    fn send_numbers_partition_the_plan() {
        // 3 agents × 2 threads: every plan number 0..60 is taken exactly once.
        let mut seen = vec![0u32; 60];
        for i in 0..3 {
            let plan = AgentPlan {
                shard: Some(Shard::new(i, 3).unwrap()),
                start_at: None,
            };
            for t in 0..2 {
                let (offset, stride) = plan.send_numbers(t, 2);
                for g in (offset..60).step_by(stride as usize) {
                    assert_eq!(g % 3, u64::from(i), "agent {i} takes g ≡ {i} mod 3");
                    seen[g as usize] += 1;
                }
            }
        }
        assert!(seen.iter().all(|&c| c == 1), "{seen:?}");
        assert_eq!(AgentPlan::default().send_numbers(1, 4), (1, 4));
    }

    #[test]
    fn bad_shards_name_the_flag() {
        assert!(
            msg(flags(Some("3/3"), None, None).to_plan_with(None, SystemTime::now()))
                .contains("--shard `3/3`")
        );
        assert!(
            msg(flags(Some("x"), None, None).to_plan_with(None, SystemTime::now()))
                .contains("INDEX/COUNT")
        );
        assert!(
            msg(flags(None, Some(3), None).to_plan_with(None, SystemTime::now()))
                .contains("JOB_COMPLETION_INDEX")
        );
        assert!(
            msg(flags(None, Some(3), None).to_plan_with(Some("5"), SystemTime::now()))
                .contains("JOB_COMPLETION_INDEX 5")
        );
        let plan = flags(None, Some(3), None)
            .to_plan_with(Some("2"), SystemTime::now())
            .unwrap();
        assert_eq!(plan.shard, Some(Shard { index: 2, count: 3 }));
        let plan = flags(Some("1/2"), Some(3), None)
            .to_plan_with(Some("2"), SystemTime::now())
            .unwrap();
        assert_eq!(
            plan.shard,
            Some(Shard { index: 1, count: 2 }),
            "--shard wins"
        );
    }

    #[test]
    fn start_at_bounds() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(
            parse_start_at("+5s", now).unwrap(),
            now + Duration::from_secs(5)
        );
        let text = rfc3339(now + Duration::from_millis(1500));
        assert_eq!(
            parse_start_at(&text, now).unwrap(),
            now + Duration::from_millis(1500)
        );
        assert_eq!(
            parse_rfc3339(&text),
            Some(now + Duration::from_millis(1500))
        );
        // Slightly past is tolerated; further is refused; so is far ahead.
        assert!(parse_start_at(&rfc3339(now - Duration::from_millis(500)), now).is_ok());
        for (text, needle) in [
            (rfc3339(now - Duration::from_secs(5)), "in the past"),
            (rfc3339(now + Duration::from_secs(7200)), "bound"),
            ("tomorrow".into(), "RFC 3339"),
            ("+soon".into(), "not a duration"),
        ] {
            let err = parse_start_at(&text, now).unwrap_err();
            assert_eq!(crate::error::exit_code(&err), 2);
            assert!(err.to_string().contains(needle), "{text}: {err}");
        }
    }
}
