//! The verdict: the claims ledger, recommendations for a project profile, and
//! comparisons of two runs — all computed from measured figures by written rules.

pub mod cli;
