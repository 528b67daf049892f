//! Inputs that come from the host rather than the network: a CLI client's line as the
//! control-socket bridge reads it (`@ID` correlation, the command's action), the
//! `exabgp.log.destination` setting, and `/etc/passwd` / `/etc/group` text. None may panic,
//! and a tagged line must split back into its pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::cli::socket::{action_of, is_terminal, split_id, Tagged};
use rexa::daemon::logging::Destination;
use rexa::daemon::privileges::{find_account, find_group};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    match split_id(first) {
        Tagged::Tagged { id, command } => {
            assert!(!id.is_empty() && !id.contains(' '));
            let _ = action_of(command);
        }
        Tagged::Plain(command) => {
            let _ = action_of(command);
        }
        Tagged::BadId => {}
    }
    let _ = is_terminal(first);
    let _ = Destination::parse(first);
    let _ = find_account(rest, first);
    let _ = find_group(rest, first);
});
