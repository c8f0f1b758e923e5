//! A stall inside a measuring window is a finding, not a hidden average: a
//! point whose window holds a pause ([`crate::stats::stall`]'s rule) is
//! flagged and set aside (invalid), and measured once more; when the
//! re-measurement pauses too, the pauses are the server's behaviour — the
//! point is kept, flagged `recurred`, shown with its longest pause in the
//! notes and the reports, and kept out of every verdict like any doubtful
//! point. HTTP points only (the ws-chat series counts deliveries, whose
//! pauses show as lost or late messages).

use crate::results::{Flag, Point};
use crate::stats::stall::{self, Stall};

/// The pauses of a point's window, from its completions per 100 ms.
pub fn of_point(p: &Point) -> Option<Stall> {
    stall::detect(&p.load.as_ref()?.per_100ms)
}

/// The flag of a stall; `recurred` on a re-measurement that stalled again.
pub fn flag(s: &Stall, recurred: bool) -> Flag {
    Flag::Stalled {
        longest_s: round1(s.longest_s),
        pauses: s.pauses,
        stalled_s: round1(s.stalled_s),
        recurred,
    }
}

/// Flags a first measurement that stalled and sets it aside: its
/// re-measurement takes its place in the figures.
pub fn set_aside(p: &mut Point, s: &Stall) {
    p.flags.push(flag(s, false));
    p.valid = false;
}

/// True for a window [`set_aside`] for a stall (not yet, or already, measured again).
pub fn set_aside_point(p: &Point) -> bool {
    !p.valid
        && p.flags.iter().any(|f| {
            matches!(
                f,
                Flag::Stalled {
                    recurred: false,
                    ..
                }
            )
        })
}

/// Flags a re-measurement that stalled again: it stays (its validity is
/// what the load made it), and the flag keeps it out of every verdict.
pub fn recurred(p: &mut Point, s: &Stall) {
    p.flags.push(flag(s, true));
}

/// The line the run prints when a window stalled.
pub fn note(what: &str, s: &Stall, recurred: bool) -> String {
    let how = if s.pauses > 1 {
        format!(" ({} pauses, {:.1} s in all)", s.pauses, s.stalled_s)
    } else {
        String::new()
    };
    if recurred {
        format!(
            "{what}: the server stalled again, for {:.1} s{how}: reported as its behaviour, kept out of the verdicts",
            s.longest_s
        )
    } else {
        format!(
            "{what}: the server stalled for {:.1} s{how} inside the window; measuring it again",
            s.longest_s
        )
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stalled_point_is_set_aside_and_a_recurrence_kept_flagged() {
        let s = Stall {
            longest_s: 2.4000000001,
            pauses: 1,
            stalled_s: 2.4,
        };
        let f = flag(&s, false);
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"flag": "stalled", "longest_s": 2.4, "pauses": 1, "stalled_s": 2.4, "recurred": false})
        );
        assert!(note("node-http json 64 conns", &s, false).contains("stalled for 2.4 s"));
        assert!(note("x", &s, true).contains("its behaviour"));
        let mut p: Point = serde_json::from_value(serde_json::json!({
            "stack": "s", "scenario": "json", "target": "/json", "kind": "peak",
            "connections": 4, "workers": 1, "trial": 1, "load": null, "ws": null,
            "server": {"cpu_us": 0, "cpu_us_per_req": null, "cpu_source": "proc",
                       "rss_idle_bytes": 0, "rss_peak_bytes": 0, "concurrency_achieved": null},
            "flags": [], "valid": true
        }))
        .unwrap();
        let mut again = p.clone();
        set_aside(&mut p, &s);
        assert!(!p.valid && set_aside_point(&p));
        recurred(&mut again, &s);
        assert!(again.valid && !set_aside_point(&again));
    }
}
