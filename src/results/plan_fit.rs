//! What a fitted plan says of itself ([`PlanFit`]): one sentence, read by the
//! harness's progress line and by every exporter (they sit above the
//! results and may not reach into the harness for it).

use super::PlanFit;

impl PlanFit {
    /// What the cut was, in one sentence: `installs took 5 min: 2 planned
    /// rounds instead of 3, ...`.
    pub fn sentence(&self) -> String {
        let before = if self.estimated {
            format!(
                "installs expected to take about {}",
                fmt_minutes(self.before_s)
            )
        } else {
            format!("installs and checks took {}", fmt_minutes(self.before_s))
        };
        let over = self.before_s + self.rounds_s - self.budget_s;
        let rest = if over > 0.0 {
            format!(
                "the fewest that measure every scenario; they overrun the {} budget by about {}, so no adaptive round",
                fmt_minutes(self.budget_s),
                fmt_minutes(over)
            )
        } else {
            format!(
                "to fit the {} budget; adaptive rounds spend what is left where claims are undecided, and a claim fewer trials cannot settle reads \"not enough evidence\"",
                fmt_minutes(self.budget_s)
            )
        };
        format!(
            "{before}: {} planned rounds instead of {} ({rest})",
            self.rounds, self.rounds_asked
        )
    }
}

/// `300` -> `5 min`, `330` -> `5 min 30 s`, `42` -> `42 s`.
fn fmt_minutes(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    match (s / 60, s % 60) {
        (0, r) => format!("{r} s"),
        (m, 0) => format!("{m} min"),
        (m, r) => format!("{m} min {r} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_read_as_a_person_says_them() {
        assert_eq!(fmt_minutes(42.4), "42 s");
        assert_eq!(fmt_minutes(330.0), "5 min 30 s");
        assert_eq!(fmt_minutes(300.0), "5 min");
    }
}
