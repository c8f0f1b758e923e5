//! The head-to-head harness (`ringside run`): per stack and scenario, launch,
//! verify, warm up, measure (trials), and write results after every point.

pub mod cli;
pub mod results;
