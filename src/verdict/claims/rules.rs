//! The written rules of the ledger: each claim's rule text, shown with its
//! verdict, and the thresholds the code applies — kept side by side so the
//! text and the numbers cannot drift apart unnoticed.
//!
//! Every rule reads ratios with their 95 % interval ([`crate::stats::Ratio`])
//! and judges both ways alike: *supported* when the whole interval clears
//! the claim's threshold, *refuted* when the whole interval is on the other
//! side, and no difference smaller than the run's noise floor is claimed.
//! A ratio without an interval (one trial each and no measured noise), or
//! resting on a flagged figure that cannot bound it, is not enough evidence.

use super::Claim;

/// K1: "much faster" and "hardly faster".
pub const K1_MUCH: f64 = 1.5;
pub const K1_HARDLY: f64 = 1.1;
/// K2: io throughput, and Python's memory per idle connection over Node.js's.
pub const K2_MUCH: f64 = 1.5;
pub const K2_HARDLY: f64 = 1.1;
pub const K2_MEMORY_CLOSE: f64 = 1.5;
/// K3: requests in flight per worker process.
pub const K3_ONE_AT_A_TIME: f64 = 1.2;
pub const K3_MANY: f64 = 2.0;
pub const K3_MANY_MIN: f64 = 4.0;
/// K4: cores used by one process and by N processes.
pub const K4_ONE_CORE: f64 = 1.25;
pub const K4_SEVERAL: f64 = 1.3;
pub const K5_WINS: f64 = 1.2;
pub const K6_FASTER: f64 = 1.2;
pub const K6_HARDLY: f64 = 1.05;
pub const K7_BETTER: f64 = 1.3;
pub const K7_HARDLY: f64 = 1.1;
pub const K8_SMALL_GAP: f64 = 1.25;
pub const K8_NOT_SHRUNK: f64 = 0.8;
pub const K9_MORE: f64 = 1.3;
pub const K9_NO_MORE: f64 = 1.1;

/// The nine claims, in ledger order.
pub const CLAIMS: [Claim; 9] = [
    Claim {
        id: "K1",
        claim: "Node.js serves simple requests much faster than Python frameworks",
        checked_by: "plaintext, json",
        rule: "Best Node.js stack ÷ best Python stack on peak throughput in plaintext and json, with the ratio's 95 % interval. Supported if the whole interval is at least 1.5× in every one measured; refuted if the whole interval is at most 1.1× in every one; depends if the intervals lie between, or on different sides in the two; not enough evidence if an interval reaches across 1.1× or 1.5×.",
    },
    Claim {
        id: "K2",
        claim: "Node.js copes better with very many concurrent connections",
        checked_by: "io at high concurrency, idle",
        rule: "Best Node.js ÷ best Python io throughput at the highest io concurrency (a Python stack whose io points all failed counts as not coping), and the leanest Python ÷ leanest Node.js memory per idle connection of the same kind. Supported if the io interval is at least 1.5× and Python's memory per connection is not below Node.js's beyond the interval and the noise floor; refuted if the io interval is at most 1.1× and Python's memory per connection is within 1.5×; not enough evidence if the io interval reaches across 1.1× or 1.5×; otherwise depends.",
    },
    Claim {
        id: "K3",
        claim: "A Python server handles one request at a time",
        checked_by: "io: concurrency actually achieved",
        rule: "Per Python stack, the requests it had in flight during io: throughput × the endpoint's designed wait (not latency, which counts time queued in the server's backlog), per worker process. A stack serves one at a time when the interval stays at or below 1.2 per process, many when it is above 2 per process and at least 4. Supported if every Python stack serves one at a time; refuted if every one serves many; otherwise depends, naming which.",
    },
    Claim {
        id: "K4",
        claim: "The GIL stops a Python server using several cores",
        checked_by: "workers: cores used by one process and by N processes",
        rule: "Cores the server's processes used (CPU time ÷ wall time) under load with every core given to them: one process (its deployment's threads) and N processes, against the controls (Node.js, Rust) on the same cores. Throughput scaling is judged only where the generator had cores of its own. Supported if no Python stack used more than 1.25 cores even with N processes (whole interval) while a control used at least 1.3; refuted if one Python process used at least 1.3 cores; depends when one process stays at or below 1.25 cores and N processes use at least 1.3: the GIL binds a process's threads, not a server's processes.",
    },
    Claim {
        id: "K5",
        claim: "Python wins on CPU-heavy work thanks to optimised libraries",
        checked_by: "numeric",
        rule: "Best Python ÷ best Node.js on numeric throughput (numpy against typed arrays). Supported if the whole interval is at least 1.2×; refuted if the whole interval is at most 1/1.2 = 0.83× (Node.js at least 1.2× faster), beyond the noise floor; depends if the whole interval lies between; not enough evidence if it reaches across 0.83× or 1.2×.",
    },
    Claim {
        id: "K6",
        claim: "Plain code runs faster on V8 than on CPython",
        checked_by: "cpu",
        rule: "Best Node.js ÷ best Python on cpu throughput (pure-language compute). Supported if the whole interval is at least 1.2×; refuted if the whole interval is at most 1.05×; depends if the whole interval lies between; not enough evidence if it reaches across 1.05× or 1.2×.",
    },
    Claim {
        id: "K7",
        claim: "Node.js is the better choice for real-time apps",
        checked_by: "ws-chat",
        rule: "Best Node.js ÷ best Python on ws-chat capacity: the most clients whose delivery p99 stayed under the SLO with nothing lost, as a bracket over the trials and the search's steps (a search that passed its largest step, or was stopped by the generator or the offered rate, gives only a lower bound). Supported if the bracket's low end is at least 1.3×; refuted if its high end is at most 1.1×. When a lower bound leaves it open, or the bracket reaches across 1.1× or 1.3× (a search's steps are coarse), the CPU cost of a delivery at the same fixed load decides with the same thresholds (Python's cost ÷ Node.js's, whole interval; depends wholly between, not enough evidence across 1.1× or 1.3×). A bracket wholly between 1.1× and 1.3× is depends.",
    },
    Claim {
        id: "K8",
        claim: "Behind a database the gap shrinks until it hardly matters",
        checked_by: "db, queries, fortunes vs json (the database named)",
        rule: "The gap is best Node.js ÷ best Python throughput, with its interval. Supported if the json gap is above 1.25× and every database scenario measured has its whole gap interval within 1.25× either way; refuted if some database scenario's gap stays above 1.25× and at least 80 % of the json gap; not enough evidence if a gap's interval reaches across 1.25× (or 1/1.25×); depends otherwise, saying when Python is ahead behind the database.",
    },
    Claim {
        id: "K9",
        claim: "Python needs more memory",
        checked_by: "fresh process, at the same offered rate, idle connections",
        rule: "Leanest Python ÷ leanest Node.js on each measure of the same kind: memory of a fresh process, memory at the same offered json rate, memory per idle HTTP connection, memory per idle WebSocket. Each measure's interval must lie wholly in one zone: at least 1.3×, at most 1.1×, or between. Supported if Python needs at least 1.3× on every measure; refuted if at most 1.1× on every measure; depends if two measures lie in different zones or one lies wholly between; not enough evidence when an interval reaching across 1.1× or 1.3× leaves the verdict open. Idle connections are measured on a server no load has touched, as the memory the second half of the connections added.",
    },
];
