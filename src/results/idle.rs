//! Which idle-connection figure a record holds: what the second half of the
//! connections added, or what all of them added. Read by the harness that
//! measures it and by the verdict that pools its noise, so it lives with the
//! record, below both.

use super::IdleRecord;

/// The second half counts when it added at least this share of the
/// connections asked for (a server that accepts no more than the first half,
/// gunicorn's 1000 a worker, is measured over all its connections instead).
pub const SECOND_HALF_MIN: f64 = 0.25;

impl IdleRecord {
    /// True when the record's cost is what the second half added (the server
    /// took at least [`SECOND_HALF_MIN`] of the connections asked for in it);
    /// false when it is what all the connections added, one-off costs included.
    pub fn second_half_counts(&self) -> bool {
        self.connections_open_mid.is_some_and(|mid| {
            self.connections_open.saturating_sub(mid) as f64
                >= SECOND_HALF_MIN * self.connections_requested as f64
        })
    }
}
