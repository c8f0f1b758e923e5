//! The written rules of the ledger: each claim, what the articles say, and
//! the rule shown with its verdict — the rule's text is built from the
//! thresholds the code applies, so the two cannot drift apart.
//!
//! Every rule reads ratios with their 95 % interval ([`crate::stats::Ratio`])
//! and judges both ways alike: *supported* when the whole interval clears
//! the claim's threshold, *refuted* when the whole interval is on the other
//! side, and no difference between two stacks smaller than the run's noise
//! floor is claimed. A ratio without an interval (one trial each and no
//! measured noise), or resting on a flagged figure that cannot bound it, is
//! not enough evidence.

use std::sync::LazyLock;

use super::Claim;

/// K1: "much faster" and "hardly faster".
pub const K1_MUCH: f64 = 1.5;
pub const K1_HARDLY: f64 = 1.1;
/// K2: io throughput, and Python's memory per idle connection over Node.js's.
pub const K2_MUCH: f64 = 1.5;
pub const K2_HARDLY: f64 = 1.1;
pub const K2_MEMORY_CLOSE: f64 = 1.5;
/// K3: requests in flight per worker process at or below which a stack
/// served one at a time, and above which (whole interval) more than one.
pub const K3_ONE_AT_A_TIME: f64 = 1.2;
/// K4: cores used by one process and by N processes.
pub const K4_ONE_CORE: f64 = 1.25;
pub const K4_SEVERAL: f64 = 1.3;
pub const K5_WINS: f64 = 1.2;
pub const K6_FASTER: f64 = 1.2;
pub const K6_HARDLY: f64 = 1.05;
pub const K7_BETTER: f64 = 1.3;
pub const K7_HARDLY: f64 = 1.1;
pub const K8_SMALL_GAP: f64 = 1.25;
pub const K9_MORE: f64 = 1.3;
pub const K9_NO_MORE: f64 = 1.1;
pub use crate::verdict::figures::IDLE_RESOLUTION;

/// A threshold as the rules print it: `1.1`, `0.83`, `1.25`.
pub(crate) fn fmt_threshold(t: f64) -> String {
    let two = format!("{t:.2}");
    two.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn x(t: f64) -> String {
    format!("{}×", fmt_threshold(t))
}

/// The nine claims, in ledger order.
pub static CLAIMS: LazyLock<[Claim; 9]> = LazyLock::new(|| {
    [
        Claim {
            id: "K1",
            claim: "Node.js serves simple requests much faster than Python frameworks",
            articles: "hello-world and JSON benchmarks put Node.js several times ahead of Flask or Django",
            checked_by: "plaintext, json",
            rule: format!(
                "Best Node.js stack ÷ best Python stack on peak throughput in plaintext and json, with the ratio's 95 % interval. Supported if the whole interval is at least {much} in every one measured (its median beyond the run's noise floor); refuted if the whole interval is at most {hardly} in every one; depends if the intervals lie between, or on different sides in the two; not enough evidence if an interval reaches across {hardly} or {much}, or clears {much} with its median within the noise floor.",
                much = x(K1_MUCH),
                hardly = x(K1_HARDLY)
            ),
        },
        Claim {
            id: "K2",
            claim: "Node.js copes better with very many concurrent connections",
            articles: "an event loop holds thousands of connections where a thread or process per request runs out",
            checked_by: "io at high concurrency, idle",
            rule: format!(
                "Best Node.js ÷ best Python io throughput at the highest io concurrency (a Python stack whose io points all failed counts as not coping), and the leanest Python ÷ leanest Node.js memory per idle connection of the same kind, judged against the idle connections' own noise floor (a figure below {res} B a connection only bounds). Supported if the io interval is at least {much} and no memory interval reaches below 1/(1 + floor) (Python needs no less); refuted if the io interval is at most {hardly} and every memory interval is at most {close}; depends if the io interval lies wholly between, or the whole intervals of io and memory point different ways; not enough evidence if the io interval reaches across {hardly} or {much}, or a memory interval reaches across the bound the verdict needs.",
                res = IDLE_RESOLUTION,
                much = x(K2_MUCH),
                hardly = x(K2_HARDLY),
                close = x(K2_MEMORY_CLOSE)
            ),
        },
        Claim {
            id: "K3",
            claim: "A Python server handles one request at a time",
            articles: "the GIL lets one Python thread run at a time, so a Python server is said to serve one request at a time",
            checked_by: "io: concurrency actually achieved",
            rule: format!(
                "Per Python stack, the requests it had in flight during io: throughput × the endpoint's designed wait (not latency, which counts time queued in the server's backlog), against its deployment's own concurrency (worker processes × threads, printed). A stack served one at a time when the whole interval is at or below {one} per worker process, more than one at a time when the whole interval is above {one} per process. Stacks whose io points all failed, or whose figure is flagged, do not count (they are named). Supported if every Python stack that counts served one at a time; refuted if every one served more than one at a time; depends if some did each; not enough evidence when an interval reaching across {one} per process leaves the verdict open.",
                one = fmt_threshold(K3_ONE_AT_A_TIME)
            ),
        },
        Claim {
            id: "K4",
            claim: "The GIL stops a Python server using several cores",
            articles: "the GIL lets one thread run Python code at a time, so a Python server is said to use one core",
            checked_by: "workers: cores used by one process and by N processes",
            rule: format!(
                "Cores the server's processes used (CPU time ÷ wall time) under load with every core given to them: one process (its deployment's threads) and N processes, against the controls (every stack that is not Python: Node.js, Bun, Deno, Rust) on the same cores. Throughput scaling is judged only where the generator had cores of its own. Supported if no Python stack used more than {one} cores even with N processes (whole interval) while a control used at least {several}; refuted if one Python process used at least {several} cores; depends when one process of a threaded deployment (more than one thread) stays at or below {one} cores and N processes use at least {several}: the GIL binds a process's threads, not a server's processes (a one-thread process on one core says nothing of the GIL).",
                one = fmt_threshold(K4_ONE_CORE),
                several = fmt_threshold(K4_SEVERAL)
            ),
        },
        Claim {
            id: "K5",
            claim: "Python wins on CPU-heavy work thanks to optimised libraries",
            articles: "numpy's C loops beat hand-written JavaScript on number crunching",
            checked_by: "numeric",
            rule: format!(
                "Best Python ÷ best Node.js on numeric throughput (numpy against typed arrays). Supported if the whole interval is at least {wins} (its median beyond the run's noise floor); refuted if the whole interval is at most 1/{w} = {node} (Node.js at least {wins} faster), its median beyond the noise floor; depends if the whole interval lies between; not enough evidence if it reaches across {node} or {wins}, or lies beyond one with its median within the noise floor.",
                wins = x(K5_WINS),
                w = fmt_threshold(K5_WINS),
                node = x(1.0 / K5_WINS)
            ),
        },
        Claim {
            id: "K6",
            claim: "Plain code runs faster on V8 than on CPython",
            articles: "V8's JIT compiles hot loops that CPython interprets",
            checked_by: "cpu",
            rule: format!(
                "Best Node.js ÷ best Python on cpu throughput (pure-language compute). Supported if the whole interval is at least {faster} (its median beyond the run's noise floor); refuted if the whole interval is at most {hardly}; depends if the whole interval lies between (Node.js is called ahead only beyond the noise floor); not enough evidence if it reaches across {hardly} or {faster}, or clears {faster} with its median within the noise floor.",
                faster = x(K6_FASTER),
                hardly = x(K6_HARDLY)
            ),
        },
        Claim {
            id: "K7",
            claim: "Node.js is the better choice for real-time apps",
            articles: "WebSockets on an event loop serve more chat clients than Python can",
            checked_by: "ws-chat",
            rule: format!(
                "Best Node.js ÷ best Python on ws-chat capacity (each language's stack with the highest median): the most clients whose delivery p99 stayed under the SLO with nothing lost. Each trial's search brackets it between its highest pass and the lowest step above that the server failed, and the trial counts the bracket's midpoint, √(pass × failure); a search the server failed nothing above (it passed its largest step, or was stopped by the generator or the offered rate) counts its pass, a lower bound, and leaves the interval open above. Over the trials the capacity is their median with a 95 % interval from their log-mean and a spread that adds the midpoints' (the run's capacity noise of the other cells pooled in) and each bracket's own width (ln(failure ÷ pass)² ÷ 12: the capacity lies anywhere within it). The ratio's interval is the two log-means' difference ± t × its standard error at the smaller of the two figures' degrees of freedom (both spreads come from one pool); an end stays open where either capacity is open. Supported if its low end is at least {better} and beyond the run's noise floor (as the ws-chat table ranks); refuted if its high end is at most {hardly}; depends if it lies wholly between; not enough evidence if it reaches across {hardly} or {better}, clears {better} only within the noise floor, or a capacity has no interval (one trial in a run without measured capacity noise, or a trial that passed no step). The CPU cost of a delivery at a low fixed rate is not read: it measures mostly the cost of waking, which moves 3× between runs on a shared host.",
                better = x(K7_BETTER),
                hardly = x(K7_HARDLY)
            ),
        },
        Claim {
            id: "K8",
            claim: "Behind a database the gap shrinks until it hardly matters",
            articles: "real apps wait on the database, so the language's speed stops mattering",
            checked_by: "db, queries, fortunes vs json (the database named)",
            rule: format!(
                "The gap is best Node.js ÷ best Python throughput, with its interval. The claim is that behind a database the language's speed stops mattering. Supported if the json gap is above {gap} (its median beyond the noise floor) and every database scenario measured has its whole gap interval within {gap} either way; refuted if some database scenario's whole gap interval stays above {gap} (beyond the noise floor): the gap still matters there, whether or not it shrank from json's (the ratio of the two gaps, a ratio of ratios with its own interval, is printed and said to shrink only when its whole interval is below 1×); depends if Python is ahead beyond {gap} behind the database (the gap turns) or there is no json gap beyond {gap} to shrink; not enough evidence if a gap's interval reaches across {gap} (or 1/{g}×) or a gap clears {gap} only within the noise floor.",
                gap = x(K8_SMALL_GAP),
                g = fmt_threshold(K8_SMALL_GAP)
            ),
        },
        Claim {
            id: "K9",
            claim: "Python needs more memory",
            articles: "a Python process and its interpreter take more memory than a Node.js one",
            checked_by: "fresh process, at the same offered rate, idle connections",
            rule: format!(
                "Leanest Python ÷ leanest Node.js on each measure of the same kind: memory of a fresh process, memory at the same offered json rate (flagged figures, such as a rate not reached, do not count), memory per idle HTTP connection, memory per idle WebSocket. Each measure's interval must lie wholly in one zone: at least {more} (its median beyond the noise floor), at most {no_more}, or between. Supported if Python needs at least {more} on every measure; refuted if at most {no_more} on every measure; depends if two measures lie in different zones or one lies wholly between; not enough evidence when an interval reaching across {no_more} or {more} leaves the verdict open. A figure below {res} B a connection is only an upper bound: two of them are no evidence of equality. Idle connections are measured on a server no load has touched, as the memory the second half of the connections added.",
                more = x(K9_MORE),
                no_more = x(K9_NO_MORE),
                res = IDLE_RESOLUTION
            ),
        },
    ]
});
