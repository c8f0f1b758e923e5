//! Per-thread tallies of a run ([`Recorder`]): latency histograms, status
//! codes, errors, bytes, per-second completions and send lateness. One per
//! worker thread (no sharing on the hot path); merged at the end.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::http::Outcome;
use super::record::{self, PerSecond, PerTenth};
use super::report::ErrorCounts;

/// A send later than this after its intended time is a late send.
pub const LATE: Duration = Duration::from_millis(1);

/// One finished request, as the connection saw it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Open loop: when the plan meant it to be sent.
    pub intended: Option<Instant>,
    /// Open loop: it waited for a free connection past its intended time, so
    /// its corrected latency counts from `intended` (else from `sent`).
    pub queued: bool,
    /// When it was actually sent.
    pub sent: Instant,
    /// When the response (or the failure) came.
    pub done: Instant,
    pub outcome: Outcome,
}

/// Tallies of one thread over the recording window.
#[derive(Debug, Clone)]
pub struct Recorder {
    record_start: Instant,
    record_end: Option<Instant>,
    /// Latency µs: open loop from the intended send when the request queued
    /// for a connection, else (and in closed loop) from the actual send.
    pub corrected: Histogram<u64>,
    /// Open loop: latency µs from the actual send.
    pub uncorrected: Option<Histogram<u64>>,
    /// Responses by status code, indexed by code (0..=999).
    pub status: Vec<u64>,
    pub errors: ErrorCounts,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Responses per second of the window, by completion time.
    pub per_second: PerSecond,
    /// Responses in each 100 ms (the stall check's resolution).
    pub per_tenth: PerTenth,
    /// Requests sent (or failed to connect).
    pub sends: u64,
    /// Requests sent before the end of the window (the achieved rate).
    pub sends_in_window: u64,
    /// Open loop: planned sends dropped unsent because their timeout had
    /// passed before a connection was free (also counted as timeouts).
    pub unsent: u64,
    /// Open loop: sends more than [`LATE`] after their intended time.
    pub late_sends: u64,
    /// Open loop: worst send lateness, µs.
    pub max_lag_us: u64,
    /// Last completion seen (ends the window of a `-n` run).
    pub last_done: Option<Instant>,
    /// Requests still unanswered when the run's deadline (the window plus
    /// its grace) cut them (also counted as timeouts).
    pub cut_at_deadline: u64,
}

impl Recorder {
    /// A recorder for a window from `record_start` to `record_end` (open-ended
    /// for a request count); `open` keeps an uncorrected histogram too.
    pub fn new(record_start: Instant, record_end: Option<Instant>, open: bool) -> Self {
        Recorder {
            record_start,
            record_end,
            corrected: record::new_histogram(),
            uncorrected: open.then(record::new_histogram),
            status: vec![0; 1000],
            errors: ErrorCounts::default(),
            bytes_in: 0,
            bytes_out: 0,
            per_second: PerSecond::with_capacity(64),
            per_tenth: PerTenth::default(),
            sends: 0,
            sends_in_window: 0,
            unsent: 0,
            late_sends: 0,
            max_lag_us: 0,
            last_done: None,
            cut_at_deadline: 0,
        }
    }

    /// Responses received (any status).
    pub fn completed(&self) -> u64 {
        self.corrected.len()
    }

    /// Counts a planned send dropped unsent (see [`Recorder::unsent`]).
    pub fn unsent(&mut self) {
        self.unsent += 1;
        self.errors.timeout += 1;
    }

    /// Tallies one finished request.
    #[inline]
    pub fn add(&mut self, s: &Sample) {
        self.sends += 1;
        if self.record_end.is_none_or(|end| s.sent < end) {
            self.sends_in_window += 1;
        }
        let out = &s.outcome;
        self.bytes_in += out.bytes_in;
        self.bytes_out += out.bytes_out;
        if let Some(failure) = out.failure {
            failure.count(&mut self.errors);
        }
        if let Some(intended) = s.intended {
            let lag = s.sent.saturating_duration_since(intended);
            if lag > LATE {
                self.late_sends += 1;
            }
            let lag_us = lag.as_micros() as u64;
            self.max_lag_us = self.max_lag_us.max(lag_us);
        }
        let Some(status) = out.status else {
            return;
        };
        // Coordinated-omission correction: a request that queued for a
        // connection is timed from its intended send; one whose connection
        // was idle and waiting for it is timed from its actual send (within
        // the timer's millisecond of the plan, possibly early).
        let from = match s.intended {
            Some(intended) if s.queued => intended.min(s.sent),
            _ => s.sent,
        };
        record::record(&mut self.corrected, s.done.saturating_duration_since(from));
        if let Some(h) = &mut self.uncorrected {
            record::record(h, s.done.saturating_duration_since(s.sent));
        }
        self.status[usize::from(status).min(999)] += 1;
        let since_start = s.done.saturating_duration_since(self.record_start);
        self.per_second.add(since_start);
        self.per_tenth.add(since_start);
        self.last_done = Some(self.last_done.map_or(s.done, |d| d.max(s.done)));
    }

    /// Adds another thread's tallies.
    pub fn merge(&mut self, other: &Recorder) {
        let _ = self.corrected.add(&other.corrected);
        if let (Some(mine), Some(theirs)) = (&mut self.uncorrected, &other.uncorrected) {
            let _ = mine.add(theirs);
        }
        for (mine, theirs) in self.status.iter_mut().zip(&other.status) {
            *mine += theirs;
        }
        self.errors.add(&other.errors);
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.per_second.merge(&other.per_second);
        self.per_tenth.merge(&other.per_tenth);
        self.sends += other.sends;
        self.sends_in_window += other.sends_in_window;
        self.unsent += other.unsent;
        self.late_sends += other.late_sends;
        self.max_lag_us = self.max_lag_us.max(other.max_lag_us);
        self.cut_at_deadline += other.cut_at_deadline;
        self.last_done = match (self.last_done, other.last_done) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::http::Failure;

    fn ok(status: u16) -> Outcome {
        Outcome {
            status: Some(status),
            failure: None,
            bytes_in: 100,
            bytes_out: 40,
        }
    }

    #[test]
    fn corrected_latency_counts_from_intended_time() {
        let t0 = Instant::now();
        let mut r = Recorder::new(t0, None, true);
        r.add(&Sample {
            intended: Some(t0),
            queued: true,
            sent: t0 + Duration::from_millis(50),
            done: t0 + Duration::from_millis(51),
            outcome: ok(200),
        });
        assert!(r.corrected.equivalent(r.corrected.max(), 51_000));
        let unc = r.uncorrected.as_ref().unwrap();
        assert!(unc.equivalent(unc.max(), 1_000));
        assert_eq!((r.late_sends, r.max_lag_us), (1, 50_000));
    }

    #[test]
    fn early_wake_is_timed_from_the_actual_send() {
        let t0 = Instant::now();
        let mut r = Recorder::new(t0, None, true);
        r.add(&Sample {
            intended: Some(t0 + Duration::from_micros(800)),
            queued: false,
            sent: t0,
            done: t0 + Duration::from_millis(2),
            outcome: ok(200),
        });
        assert!(r.corrected.equivalent(r.corrected.max(), 2_000));
        assert_eq!(r.late_sends, 0);
    }

    #[test]
    fn late_wake_of_an_idle_connection_is_not_charged_to_the_server() {
        let t0 = Instant::now();
        let mut r = Recorder::new(t0, None, true);
        r.add(&Sample {
            intended: Some(t0),
            queued: false,
            sent: t0 + Duration::from_micros(1500),
            done: t0 + Duration::from_micros(1700),
            outcome: ok(200),
        });
        assert!(r.corrected.equivalent(r.corrected.max(), 200));
        assert_eq!((r.late_sends, r.max_lag_us), (1, 1500));
    }

    #[test]
    fn failures_and_merge_add_up() {
        let t0 = Instant::now();
        let mut a = Recorder::new(t0, None, false);
        let mut b = Recorder::new(t0, None, false);
        let sample = |outcome| Sample {
            intended: None,
            queued: false,
            sent: t0,
            done: t0 + Duration::from_millis(1500),
            outcome,
        };
        a.add(&sample(ok(200)));
        a.add(&sample(Outcome {
            status: Some(500),
            failure: Some(Failure::Check),
            bytes_in: 10,
            bytes_out: 40,
        }));
        b.add(&sample(Outcome {
            status: None,
            failure: Some(Failure::Connect),
            bytes_in: 0,
            bytes_out: 0,
        }));
        a.merge(&b);
        assert_eq!(a.completed(), 2);
        assert_eq!(a.sends, 3);
        assert_eq!(a.status[200] + a.status[500], 2);
        assert_eq!(
            (a.errors.check, a.errors.connect, a.errors.total()),
            (1, 1, 2)
        );
        assert_eq!((a.bytes_in, a.bytes_out), (110, 80));
        assert_eq!(a.per_second.raw(), &[0, 2]);
    }
}
