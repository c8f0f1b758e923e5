//! A run's installs, before its first measurement, side by side where the
//! machine has the cores ([`crate::stack::setup_many`]): the stacks not yet installed whose
//! runtime is present. The run's loop over its stacks then takes each
//! outcome from here instead of installing one stack after another.

use crate::stack::setup_many::{self, Installed};
use crate::stack::{self, RuntimeStatus};

use super::runner::Runner;

impl Runner<'_> {
    /// Installs the stacks still to prepare that need it, up to
    /// [`setup_many::default_lanes`] at once; one note for them all, one a stack.
    pub(crate) async fn install_side_by_side(&mut self) -> anyhow::Result<Vec<Installed>> {
        let todo: Vec<stack::Stack> = self
            .stacks
            .iter()
            .filter(|s| !self.results.stacks.iter().any(|r| r.name == s.name))
            .filter(|s| !stack::is_installed(s))
            .filter(|s| matches!(stack::runtime_status(s), RuntimeStatus::Present { .. }))
            .cloned()
            .collect();
        let chains = setup_many::chains(&todo);
        if chains.len() < 2 {
            return Ok(Vec::new()); // nothing to overlap: the loop installs it
        }
        let names: Vec<String> = chains.iter().flatten().map(|s| s.name.clone()).collect();
        let lanes = setup_many::default_lanes();
        let lengths = chains.iter().map(|c| {
            c.iter()
                .map(stack::expected_install)
                .sum::<std::time::Duration>()
        });
        let (longest, how) = if lanes > 1 {
            (lengths.max().unwrap_or_default(), "side by side")
        } else {
            (lengths.sum(), "one after another")
        };
        self.report.note(&format!(
            "installing {} {how} (first use; about {})…",
            names.join(", "),
            humantime::format_duration(longest)
        ));
        self.measuring(&names[0], "install", 1, "installing", longest);
        let opts = stack::SetupOpts {
            force: false,
            quiet: true,
        };
        let (done, wall) = tokio::task::spawn_blocking(move || {
            setup_many::setup_all_timed(&todo, &opts, lanes, &setup_many::Silent)
        })
        .await?;
        // Each stack's own duration is noted as the run's loop takes it.
        if let Some(total) = setup_many::summary(&done, wall, lanes).last() {
            self.report.note(total.trim());
        }
        Ok(done)
    }
}
