//! No planned point lost in silence: before each load of a round, a server
//! that is gone (it exited after the previous load's check, while the other
//! stacks were being loaded) is recorded in the stack's `failures` with the
//! trial it threatens, said on the terminal, and relaunched; a point that
//! still cannot be measured leaves a record of its own ("not measured").

use crate::results::FailureRecord;
use crate::scenario::Scenario;

use super::{Launch, Live, Server};
use crate::suite::runner::Runner;

/// What [`Runner::alive_or_record`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Up {
    /// The server was running.
    Alive,
    /// It had exited; recorded, and a fresh server runs now (cold).
    Relaunched,
    /// It had exited and could not be brought back; recorded.
    Gone,
}

impl Runner<'_> {
    /// Checks that the server of `live` still runs before `what` (a warm-up,
    /// a slice, a capacity search, idle connections) of `sc` in `trial`.
    pub(super) async fn alive_or_record(
        &mut self,
        live: &mut Live,
        sc: Scenario,
        launch: Launch,
        trial: u32,
        what: &str,
    ) -> anyhow::Result<Up> {
        if live.server.target().is_alive() {
            return Ok(Up::Alive);
        }
        if crate::proc::guard::interrupted() {
            return Ok(Up::Gone); // the interrupt's cleanup stopped it
        }
        let recorded = self.phase_scenario(sc, launch);
        if let (Server::Launched(running), Some(_)) = (&mut live.server, &live.stack) {
            let status = running
                .exit_status()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            let message = format!(
                "server exited before the {what} of {recorded} trial {trial}{status}; relaunched"
            );
            self.report.note(&format!("{}: {message}", live.name));
            let tail = running.stderr_tail(20);
            self.record(&live.name).failures.push(FailureRecord {
                scenario: Some(recorded),
                trial: Some(trial),
                message,
                stderr_tail: tail,
            });
            self.relaunch(live, launch).await;
            self.updated()?;
            if live.server.target().is_alive() {
                return Ok(Up::Relaunched);
            }
        }
        let exists = self.record(&live.name).failures.iter().any(|f| {
            f.scenario == Some(recorded)
                && f.trial == Some(trial)
                && f.message.contains(NOT_MEASURED)
        });
        if !exists {
            let message = format!(
                "{recorded} trial {trial}: {NOT_MEASURED} from the {what} on: the server is not running"
            );
            self.report.note(&format!("{}: {message}", live.name));
            self.record(&live.name).failures.push(FailureRecord {
                scenario: Some(recorded),
                trial: Some(trial),
                message,
                stderr_tail: live.server.target().stderr_tail(20),
            });
            self.updated()?;
        }
        Ok(Up::Gone)
    }
}

/// The words of a failure record that cost a trial its points.
pub const NOT_MEASURED: &str = "not measured";
