//! The `rexa` binary: dispatches to a sub-command, or runs the daemon on a configuration.

use std::ffi::OsString;
use std::process::ExitCode;

use rexa::cli;

const HELP: &str = "\
rexa — a BGP speaker compatible with ExaBGP 4.x/5.x

Usage:
  rexa [OPTIONS] CONFIG...        run the daemon on the given configuration(s)
  rexa server CONFIG...           the same (ExaBGP 5 spelling)
  rexa validate [--dump] CONFIG   check a configuration; also: rexa --test CONFIG
  rexa decode [OPTIONS] HEX       print a BGP message as ExaBGP JSON (see `rexa decode --help`)
  rexa env                        print the effective exabgp.* environment settings
  rexa version                    print the version

Options:
  -h, --help       this text
  -v, --version    the version

Logging goes to stderr; set RUST_LOG (e.g. RUST_LOG=debug) for more detail.
";

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let Some(first) = args.first().and_then(|a| a.to_str()).map(str::to_owned) else {
        eprint!("{HELP}");
        return ExitCode::from(1);
    };
    match first.as_str() {
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        "-v" | "--version" | "version" => {
            println!("rexa {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        "decode" => cli::decode::main(args.split_off(1)),
        "validate" => cli::validate::main(args.split_off(1)),
        "-t" | "--test" => cli::validate::main(args.split_off(1)),
        "env" => cli::validate::env_main(args.split_off(1)),
        "server" => run_daemon(args.split_off(1)),
        _ => run_daemon(args),
    }
}

fn run_daemon(args: Vec<OsString>) -> ExitCode {
    rexa::daemon::main(args)
}

fn _unused(_configs: Vec<OsString>) -> ExitCode {
    eprintln!(
        "rexa: the daemon (reactor) is not implemented yet; \
         `rexa validate` and `rexa decode` work on their own"
    );
    ExitCode::from(2)
}
