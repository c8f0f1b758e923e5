//! The written rules of the ledger: each claim's rule text, shown with its
//! verdict, and the thresholds the code applies — kept side by side so the
//! text and the numbers cannot drift apart unnoticed.

use super::Claim;

/// K1's thresholds: "much faster" and "hardly faster".
pub const K1_MUCH: f64 = 1.5;
pub const K1_HARDLY: f64 = 1.1;
pub const K2_MUCH: f64 = 1.5;
pub const K2_HARDLY: f64 = 1.1;
pub const K2_MEMORY_CLOSE: f64 = 1.5;
pub const K3_ONE_AT_A_TIME: f64 = 1.2;
pub const K3_MANY: f64 = 2.0;
pub const K3_MANY_MIN: f64 = 4.0;
pub const K4_SCALES: f64 = 1.5;
pub const K4_FLAT: f64 = 1.1;
pub const K5_WINS: f64 = 1.2;
pub const K6_FASTER: f64 = 1.2;
pub const K6_HARDLY: f64 = 1.05;
pub const K7_BETTER: f64 = 1.3;
pub const K7_HARDLY: f64 = 1.1;
pub const K8_SMALL_GAP: f64 = 1.25;
pub const K8_NOT_SHRUNK: f64 = 0.8;
pub const K9_MORE: f64 = 1.3;

/// The nine claims, in ledger order.
pub const CLAIMS: [Claim; 9] = [
    Claim {
        id: "K1",
        claim: "Node.js serves simple requests much faster than Python frameworks",
        checked_by: "plaintext, json",
        rule: "Compare the best Node.js stack with the best Python stack on peak throughput in plaintext and json. Supported if Node.js is at least 1.5× faster beyond the spread (slowest Node.js trial vs fastest Python trial) in every one measured; refuted if it is at most 1.1× faster, or Python is faster, in every one; otherwise depends.",
    },
    Claim {
        id: "K2",
        claim: "Node.js copes better with very many concurrent connections",
        checked_by: "io at high concurrency, idle",
        rule: "Supported if the best Node.js stack completes at least 1.5× the io requests/s of the best Python stack beyond the spread at the highest io concurrency, and needs no more memory per idle connection than the leanest Python stack; refuted if the best Python stack is within 1.1× on io throughput (or ahead) and within 1.5× on memory per idle connection; otherwise depends.",
    },
    Claim {
        id: "K3",
        claim: "A Python server handles one request at a time",
        checked_by: "io: concurrency actually achieved",
        rule: "Requests in flight during io (Little's law: throughput × mean latency), per Python stack. Refuted if some Python stack keeps more than 2× its worker processes in flight (and at least 4); supported if every Python stack keeps at most 1.2× its worker processes in flight (one request per process); otherwise depends.",
    },
    Claim {
        id: "K4",
        claim: "The GIL stops a Python server using several cores",
        checked_by: "workers: 1 vs N scaling",
        rule: "Peak throughput at 1 and at N worker processes, with at least 2 server cores. Refuted if some Python stack speeds up at least 1.5× beyond the spread (slowest N-worker trial vs fastest 1-worker trial); supported if no Python stack speeds up more than 1.1×; otherwise depends.",
    },
    Claim {
        id: "K5",
        claim: "Python wins on CPU-heavy work thanks to optimised libraries",
        checked_by: "numeric",
        rule: "Best Python stack vs best Node.js stack on numeric throughput. Supported if Python is at least 1.2× faster beyond the spread; refuted if Node.js is faster beyond the spread; otherwise depends.",
    },
    Claim {
        id: "K6",
        claim: "Plain code runs faster on V8 than on CPython",
        checked_by: "cpu",
        rule: "Best Node.js stack vs best Python stack on cpu throughput (pure-language compute). Supported if Node.js is at least 1.2× faster beyond the spread; refuted if it is at most 1.05× faster or Python is faster; otherwise depends.",
    },
    Claim {
        id: "K7",
        claim: "Node.js is the better choice for real-time apps",
        checked_by: "ws-chat",
        rule: "Best Node.js stack vs best Python stack on ws-chat capacity: the most clients whose delivery p99 stayed under the SLO with nothing lost. Not enough evidence when both reached the search's largest step (the figure is then only a lower bound). Supported if Node.js is at least 1.3× ahead beyond the spread; refuted if it is at most 1.1× ahead or Python is ahead; otherwise depends.",
    },
    Claim {
        id: "K8",
        claim: "Behind a database the gap shrinks until it hardly matters",
        checked_by: "db, queries, fortunes vs json",
        rule: "The throughput gap is best Node.js ÷ best Python, taken either way round (≥ 1). Supported if json shows a gap above 1.25× and every database scenario measured shows at most 1.25×; refuted if some database scenario keeps above 1.25× and at least 80 % of the json gap; otherwise depends.",
    },
    Claim {
        id: "K9",
        claim: "Python needs more memory",
        checked_by: "RSS idle and under load, idle",
        rule: "Leanest Python stack vs leanest Node.js stack on server RSS before load and at peak load (json, else plaintext) and on memory per idle connection. Supported if Python needs at least 1.3× more on every measure beyond the spread; refuted if Python needs no more (median) on every measure; otherwise depends.",
    },
];
