//! Error classification for the exit code: bad input (flags, manifests, files
//! named by the user, machine limits a request exceeds) exits 2, everything
//! else 1 (the whole policy: [`crate::exit`]).

use std::error::Error as StdError;

/// Wraps an error caused by the user's input. `main` exits 2 when the chain
/// contains one. Create with [`bad_input`].
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BadInput(pub Box<dyn StdError + Send + Sync + 'static>);

/// Marks `err` as bad input (exit code 2).
pub fn bad_input<E: StdError + Send + Sync + 'static>(err: E) -> anyhow::Error {
    anyhow::Error::new(BadInput(Box::new(err)))
}

/// Marks a plain message as bad input (exit code 2).
pub fn bad_input_msg(msg: impl Into<String>) -> anyhow::Error {
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Msg(String);
    bad_input(Msg(msg.into()))
}

/// The process exit code for an error: 2 for bad input, else 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<BadInput>()) {
        crate::exit::BAD_INPUT
    } else {
        crate::exit::FAILED
    }
}

/// True when the error is a closed stdout (`ringside ... | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_exits_two_even_under_context() {
        let err = bad_input_msg("--rate must be positive").context("reading flags");
        assert_eq!(exit_code(&err), 2);
        assert_eq!(exit_code(&anyhow::anyhow!("server crashed")), 1);
    }
}
