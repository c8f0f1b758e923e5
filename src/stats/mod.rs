//! Statistics as pure functions, shared by the harness and the verdict:
//! [`basic`] (median, spread, coefficient of variation), [`interval`]
//! (confidence intervals of figures and ratios, the run's noise floor),
//! [`steady`] (has a warming series settled?), [`stall`] (did the server
//! pause inside a window?) and [`sequential`] (the confidence level of each
//! look of a run that adds rounds); [`pool`] keeps one wild cell out of
//! the run's pooled noise. No I/O.

pub mod basic;
pub mod interval;
pub mod pool;
pub mod sequential;
pub mod stall;
pub mod steady;

pub use basic::{mean, median, min_max};
pub use interval::{Basis, Comparison, Estimate, Noise, Ratio, compare};
pub use steady::{Steadiness, SteadyRule};
