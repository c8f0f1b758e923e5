//! The exit codes of every command, in one place, so a script can trust
//! them (documented in the README):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | something valid was measured (or checked, or written) |
//! | 1 | nothing valid could be measured: every stack failed, no request succeeded, a verification failed |
//! | 2 | bad input: a flag, a manifest, a results file, a machine limit the request exceeds |
//! | 129 / 130 / 143 | interrupted by SIGHUP / SIGINT / SIGTERM (128 + the signal) |

/// Something valid was measured.
pub const OK: u8 = 0;
/// Nothing valid could be measured (or a check failed).
pub const FAILED: u8 = 1;
/// Bad input: the message names the flag, file or limit and the fix.
pub const BAD_INPUT: u8 = 2;

/// The conventional code of a process ended by `signal`: 128 + its number
/// (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
pub fn for_signal(signal: i32) -> i32 {
    128 + signal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_map_to_128_plus_their_number() {
        assert_eq!(for_signal(libc::SIGINT), 130);
        assert_eq!(for_signal(libc::SIGTERM), 143);
        assert_eq!(for_signal(libc::SIGHUP), 129);
    }
}
