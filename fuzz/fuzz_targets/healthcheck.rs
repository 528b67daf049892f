//! Fuzz target: any bytes as a `rexa healthcheck` command line (NUL-separated arguments, the
//! same bytes as its `--config` file) and as `ip -o address show` output: options parse or
//! are refused and addresses are read or skipped — never a panic; parsed options give lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::healthcheck::machine::{commands, State};
use rexa::healthcheck::options::{parse_with, Request};
use rexa::healthcheck::{announced, ip};

const STATES: [State; 8] = [
    State::Init,
    State::Disabled,
    State::Rising,
    State::Falling,
    State::Up,
    State::Down,
    State::Exit,
    State::End,
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let args: Vec<String> = text.split('\0').map(str::to_owned).collect();
    let file = text.replace('\0', "\n");
    match parse_with(args, |_| Ok(file.clone())) {
        Ok(Request::Run(options)) => {
            if let Ok(ips) = announced(&options.ips, options.deaggregate_networks, options.start_ip)
            {
                for state in STATES {
                    for line in commands(&options, &ips, state) {
                        assert!(!line.contains('\n'), "a command split over lines: {line:?}");
                    }
                }
            }
            let _ = options.ip_ifnames();
        }
        Ok(Request::Help) => {}
        Err(error) => {
            let _ = error.to_string();
        }
    }
    let found = ip::parse_ip_show(&text, &["lo".to_owned(), "eth0".to_owned()]);
    for label in [None, Some(""), Some("web")] {
        let _ = ip::select(&found, label, false, true);
        let _ = ip::select(&found, label, true, false);
    }
});
