//! The run's time estimate counts each capacity search at the steps the
//! search itself may take: a first search one more than
//! `--capacity-steps`, a seeded one one fewer and its extra steps.

use clap::Parser;

use super::*;
use crate::suite::capacity::{EXTRA_UP, Plan, WS_STEP_OVERHEAD_S, step_estimate_s};
use crate::suite::config::SuiteConfig;

fn cfg(steps: &str) -> SuiteConfig {
    let out = std::env::temp_dir().join("ringside-points-estimate-test");
    let cli = crate::cli::Cli::try_parse_from([
        "ringside",
        "run",
        "--plain",
        "--scenarios",
        "ws-chat",
        "--capacity-steps",
        steps,
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let crate::cli::Command::Run(args) = cli.command else {
        unreachable!()
    };
    SuiteConfig::from_args(&args, Vec::new()).unwrap()
}

#[test]
fn a_first_search_counts_one_step_more_and_a_seeded_one_its_extra_steps() {
    let c = cfg("4");
    // A ws-chat step: its window, the drain and the clients' connecting.
    let step = Duration::from_secs_f64(c.settings.capacity_step_s + 0.5 + WS_STEP_OVERHEAD_S);
    let ws = [Scenario::WsChat];
    let without = {
        let mut c0 = cfg("4");
        c0.settings.capacity_max_steps = 0;
        planned_per_stack(&c0, &ws, &[])
    };
    let first = planned_per_stack(&c, &ws, &[]);
    let seeded = planned_per_stack(&c, &ws, &ws);
    assert_eq!(first - without, step * 5, "a first search: 4 + 1 steps");
    assert_eq!(
        seeded - without,
        step * (3 + EXTRA_UP),
        "a seeded one: 4 - 1 planned, and its extra steps when all pass"
    );
    assert_eq!(Plan::most_steps(4, false), 5);
    assert_eq!(Plan::most_steps(4, true), 3 + EXTRA_UP);
    // Short searches keep their count; a seeded one may still go on.
    let c2 = cfg("2");
    assert_eq!(
        planned_per_stack(&c2, &ws, &ws) - planned_per_stack(&c2, &ws, &[]),
        step * EXTRA_UP
    );
}

#[test]
fn the_plan_counts_the_first_round_that_searches_as_first_and_later_ones_seeded() {
    let c = cfg("4");
    // A ws-chat step: its window, the drain and the clients' connecting.
    let step = Duration::from_secs_f64(c.settings.capacity_step_s + 0.5 + WS_STEP_OVERHEAD_S);
    let mut no_cap = c.settings.clone();
    no_cap.capacity_max_steps = 0;
    let ws: Vec<Scenario> = c.settings.plan.capacity_scenarios.clone();
    assert!(
        ws.contains(&Scenario::WsChat),
        "ws-chat is searched by default"
    );
    let rounds = crate::suite::plan::round_count(&c.settings.plan, c.settings.trials);
    // One stack: every round measures it, so the capacity's share of the
    // estimate is one first search and a seeded one a round after.
    let searching: Vec<u32> = (1..=rounds)
        .filter(|n| {
            let kind = crate::suite::plan::round_kind(&c.settings.plan, *n);
            crate::suite::plan::round_scenarios(&c.settings.plan, kind, &c.settings.scenarios)
                .contains(&Scenario::WsChat)
        })
        .collect();
    assert!(searching.len() >= 2, "{searching:?}");
    let with = crate::suite::planned_time_of(&c, &c.settings, 1);
    let c0 = SuiteConfig {
        settings: no_cap.clone(),
        ..cfg("4")
    };
    let without = crate::suite::planned_time_of(&c0, &no_cap, 1);
    let want = step
        * (Plan::most_steps(4, false) + Plan::most_steps(4, true) * (searching.len() as u32 - 1));
    assert_eq!(with - without, want);
}

#[test]
fn a_ws_chat_step_counts_its_clients_connecting_and_an_http_step_does_not() {
    assert_eq!(step_estimate_s(1.0, false), 1.5);
    assert_eq!(step_estimate_s(1.0, true), 1.5 + WS_STEP_OVERHEAD_S);
}
