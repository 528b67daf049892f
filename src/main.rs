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
  rexa cli [OPTIONS] COMMAND...   send an API command to the running daemon through its
                                  named pipes and print the answer (see `rexa cli --help`)
  rexa healthcheck [OPTIONS]      a helper process: run a check on an interval, announce or
                                  withdraw service addresses (see `rexa healthcheck --help`)
  rexa version                    print the version

Options:
  -h, --help       this text
  -v, --version    the version

Logging goes to stderr, or where exabgp.log.destination says (syslog, host:ADDRESS, a
file); set RUST_LOG (e.g. RUST_LOG=debug) for more detail.
";

fn main() -> ExitCode {
    // The daemon runs its own binary as the CLI's pipe bridge (api.md §9.1), whatever the
    // arguments.
    if let Some(dir) = std::env::var_os(cli::pipe::CLI_PIPE_VAR).filter(|d| !d.is_empty()) {
        return cli::pipe::bridge_main(std::path::Path::new(&dir));
    }
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    // ExaBGP 4.2's separate client programs, should rexa be installed under their names.
    let invoked_as = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    if matches!(
        invoked_as.as_deref(),
        Some("exabgpcli" | "exabgp-cli" | "rexa-cli" | "rexacli")
    ) {
        return cli::client::main(args);
    }
    // ExaBGP 4.2's separate healthcheck program, should rexa be installed under its name.
    if matches!(
        invoked_as.as_deref(),
        Some("exabgp-healthcheck" | "rexa-healthcheck")
    ) {
        return rexa::healthcheck::main(args);
    }
    if let Some(rest) = healthcheck_arguments(&args) {
        return rexa::healthcheck::main(args.split_off(rest));
    }
    if let Some(cli_args) = cli_arguments(&args) {
        return cli::client::main(cli_args);
    }
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

/// The arguments of the CLI client when the command line asks for it in one of ExaBGP's
/// spellings: `cli ...` (5.x), `run ...` (6.0), `--run cli ...` (4.x), each possibly after
/// `--env-file FILE` (5.x) — which is then passed on as `--env FILE`.
fn cli_arguments(args: &[OsString]) -> Option<Vec<OsString>> {
    let text = |i: usize| args.get(i).and_then(|a| a.to_str());
    let mut at = 0;
    let mut env: Vec<OsString> = Vec::new();
    match text(0) {
        Some("--env-file" | "--env" | "-e") => {
            env.push("--env".into());
            env.push(args.get(1)?.clone());
            at = 2;
        }
        Some(option) if option.starts_with("--env-file=") => {
            env.push("--env".into());
            env.push(option.trim_start_matches("--env-file=").into());
            at = 1;
        }
        _ => {}
    }
    let rest = match (text(at), text(at + 1)) {
        (Some("cli" | "run"), _) => at + 1,
        (Some("--run"), Some("cli")) => at + 2,
        _ => return None,
    };
    env.extend(args.iter().skip(rest).cloned());
    Some(env)
}

/// Where the healthcheck's own arguments start when the command line asks for it:
/// `healthcheck ...` (`exabgp healthcheck`, 5.x) or `--run healthcheck ...` (4.x).
fn healthcheck_arguments(args: &[OsString]) -> Option<usize> {
    let text = |i: usize| args.get(i).and_then(|a| a.to_str());
    match (text(0), text(1)) {
        (Some("healthcheck"), _) => Some(1),
        (Some("--run"), Some("healthcheck")) => Some(2),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<OsString> {
        text.split(' ').map(OsString::from).collect()
    }

    fn words(args: Option<Vec<OsString>>) -> Option<String> {
        args.map(|a| {
            a.iter()
                .map(|w| w.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    #[test]
    fn every_exabgp_spelling_of_the_cli_reaches_the_client() {
        let cli = |text: &str| words(cli_arguments(&args(text)));
        assert_eq!(cli("cli show neighbor").as_deref(), Some("show neighbor"));
        assert_eq!(cli("run version").as_deref(), Some("version"));
        assert_eq!(cli("--run cli s n s").as_deref(), Some("s n s"));
        assert_eq!(
            cli("--env-file x.env cli help").as_deref(),
            Some("--env x.env help")
        );
        assert_eq!(
            cli("--env-file=x.env cli help").as_deref(),
            Some("--env x.env help")
        );
        assert_eq!(cli("rexa.conf"), None);
        assert_eq!(cli("-e x.env rexa.conf"), None);
        assert_eq!(cli("--run healthcheck"), None);
    }

    #[test]
    fn both_spellings_of_the_healthcheck_reach_it() {
        assert_eq!(
            healthcheck_arguments(&args("healthcheck --ip 10.0.0.1")),
            Some(1)
        );
        assert_eq!(
            healthcheck_arguments(&args("--run healthcheck -h")),
            Some(2)
        );
        assert_eq!(healthcheck_arguments(&args("rexa.conf")), None);
        assert_eq!(healthcheck_arguments(&args("cli healthcheck")), None);
    }
}
