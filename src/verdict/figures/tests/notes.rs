//! The notes beside a figure: one line per trial, load and kind of flag.

use super::fig;
use super::run::{Run, point};
use crate::results::{Flag, PointKind};
use crate::scenario::Scenario::*;
use crate::verdict::figures::flag_text;

#[test]
fn each_flag_in_words() {
    let stalled = |pauses, recurred| Flag::Stalled {
        longest_s: 2.5,
        pauses,
        stalled_s: 4.0,
        recurred,
    };
    let cases = [
        (
            Flag::GeneratorSaturated { utilization: 0.97 },
            "generator-bound (97 % generator CPU): the server may be faster",
        ),
        (
            Flag::RateNotReached {
                target_rps: 1000.0,
                achieved_rps: 712.4,
            },
            "target not reached: 712 of 1000 sent per second",
        ),
        (Flag::Errors { count: 5 }, "5 errors"),
        (
            Flag::ServerCrashed {
                stderr_tail: vec!["first".into(), "Segmentation fault".into()],
            },
            "server crashed (Segmentation fault)",
        ),
        (
            Flag::ServerCrashed {
                stderr_tail: Vec::new(),
            },
            "server crashed",
        ),
        (Flag::SharedCores, "server and generator shared cores"),
        (
            Flag::Unsettled { after_s: 15.0 },
            "throughput had not settled after 15 s of warm-up",
        ),
        (
            Flag::MixedHardware { machines: 2 },
            "the merged shards ran on 2 kinds of machine",
        ),
        (
            stalled(1, false),
            "server stalled for 2.5 s; measured again",
        ),
        (
            stalled(2, false),
            "server stalled for 2.5 s (2 pauses, 4.0 s in all); measured again",
        ),
        (
            stalled(1, true),
            "server stalled for 2.5 s again when measured again: the server's behaviour, not evidence",
        ),
        (
            stalled(3, true),
            "server stalled for 2.5 s (3 pauses, 4.0 s in all) again when measured again: \
             the server's behaviour, not evidence",
        ),
        (
            Flag::SharedMachine,
            "measured with --shared-machine: another ringside may have measured at the same time",
        ),
        (
            Flag::ForeignCpu { share: 0.123 },
            "other processes used 12 % of the measured cores: figures low and noisy",
        ),
    ];
    for (flag, want) in cases {
        assert_eq!(flag_text(&flag), want, "{flag:?}");
    }
}

/// One note per trial, load and kind of flag: slices of one trial collapse
/// into one line keeping the worst generator load; an invalid point says
/// it was left out; each load is named as it was offered.
#[test]
fn one_note_per_trial_load_and_kind_of_flag() {
    let mut b = Run::new();
    b.stack("node", "javascript");
    let peak = PointKind::Peak { connections: 64 };
    for (slice, u) in [(1, 0.91), (2, 0.97), (3, 0.93)] {
        let p = b.add(point("node", Json, peak.clone(), 1, 5000.0));
        p.slice = slice;
        p.flags.push(Flag::GeneratorSaturated { utilization: u });
    }
    let p = b.add(point("node", Json, peak.clone(), 2, 5000.0));
    p.flags.push(Flag::Errors { count: 5 });
    p.valid = false;
    b.add(point("node", Json, peak, 3, 5000.0));
    let p = b.add(point(
        "node",
        Json,
        PointKind::FixedRate { rps: 1000.0 },
        1,
        1000.0,
    ));
    p.flags.push(Flag::SharedCores);
    let p = b.add(point(
        "node",
        Io,
        PointKind::Io { connections: 256 },
        1,
        100.0,
    ));
    p.flags.push(Flag::SharedCores);
    let ws = PointKind::Ws {
        clients: 50,
        rooms: 10,
        msg_rate_per_client: 1.0,
    };
    let p = b.add(point("node", WsChat, ws, 2, 100.0));
    p.flags.push(Flag::Unsettled { after_s: 15.0 });
    let f = b.figures();
    assert_eq!(
        fig(&f, Json, "node").notes,
        [
            "trial 1, 1000 req/s: server and generator shared cores",
            "trial 1, 64 conns: generator-bound (97 % generator CPU): the server may be faster",
            "trial 2, 64 conns: 5 errors",
            "trial 2, 64 conns: excluded from the figures",
        ]
    );
    assert_eq!(
        fig(&f, Io, "node").notes,
        ["trial 1, io 256 conns: server and generator shared cores"]
    );
    assert_eq!(
        fig(&f, WsChat, "node").notes,
        ["trial 2, 50 clients: throughput had not settled after 15 s of warm-up"]
    );
}
