//! The verdict: the claims ledger, recommendations for a project profile, and
//! comparisons of two runs — all computed from measured figures by written rules.
//!
//! [`figures`] reduces a results file to estimates with intervals ([`crate::stats`]);
//! [`claims`], [`recommend`] and [`compare`] read only those figures.

pub mod claims;
pub mod cli;
pub mod compare;
pub mod deciding;
pub mod figures;
pub mod format;
pub mod profile;
pub mod recommend;
pub mod straddle;
