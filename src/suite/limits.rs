//! What the machine must carry for a run, checked before anything starts,
//! with the same code as `ringside load` ([`crate::load::bounds`]): the soft
//! open-files limit is raised to the hard one, and a run whose largest
//! connection count still does not fit is refused naming the limit (exit 2),
//! instead of failing later with connect errors on every point.

use crate::load::bounds::{Machine, check_connections};
use crate::results::Settings;
use crate::scenario::Scenario;

/// The connection counts a run with `settings` opens at once, with the flag setting each.
pub fn connection_needs(settings: &Settings) -> Vec<(&'static str, usize)> {
    let has = |sc: Scenario| settings.scenarios.contains(&sc);
    let mut needs = Vec::new();
    if let Some(&most) = settings.concurrency.iter().max() {
        needs.push(("--concurrency", most));
    }
    if settings.open_connections > 0 {
        needs.push(("open-loop points (connections)", settings.open_connections));
    }
    if has(Scenario::Io) {
        needs.push(("--io-connections", settings.io_connections));
    }
    if has(Scenario::Idle) {
        needs.push(("--idle-connections", settings.idle_connections));
    }
    if has(Scenario::WsChat) {
        let ws = super::ws::WsSettings::from_settings(settings);
        needs.push(("ws-chat clients", ws.clients));
    }
    needs
}

/// Raises the open-files limit and refuses a run it cannot carry.
pub fn check(settings: &Settings) -> anyhow::Result<()> {
    let machine = Machine::here();
    for (flag, n) in connection_needs(settings) {
        check_connections(flag, n, &machine)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_too_low_is_named_with_the_fix() {
        let settings = Settings {
            concurrency: vec![16, 256],
            scenarios: vec![Scenario::Plaintext],
            ..serde_json::from_str(include_str!("../../tests/fixtures/results/full.json"))
                .map(|r: crate::results::Results| r.settings)
                .unwrap()
        };
        let needs = connection_needs(&settings);
        assert!(needs.contains(&("--concurrency", 256)), "{needs:?}");
        let tight = Machine {
            nofile: 64,
            nofile_hard: 64,
            local_ports: None,
            mem_available: None,
        };
        let err = check_connections("--concurrency", 256, &tight).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("open-files limit is 64"), "{msg}");
        assert!(msg.contains("ulimit -n"), "{msg}");
    }
}
