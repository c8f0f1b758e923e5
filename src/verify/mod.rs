//! Conformance checks of the workload contract (`spec/contract.md`) against a
//! running server: every endpoint a stack claims, with the reason of each failure.

pub mod cli;
