//! Unit tests beside the rules: each verdict's boundary from both sides,
//! intervals that satisfy a median test but not the interval test, flagged
//! figures, failed stacks and one-trial cells, on figures built by hand so
//! every interval is exactly the one the case names. Property tests for
//! [`side`](super::side) and [`ratio_of`](super::ratio_of).

// Tables of cases read best as tuples.
#![allow(clippy::type_complexity)]

pub(crate) mod fixture;
mod free_threaded;
mod memory;
mod more;
mod pins;
mod side;
mod speed;
