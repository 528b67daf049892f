//! `rexa validate` (also `rexa --test`) checks configurations; `rexa env` prints the
//! effective `exabgp.*` environment settings in ExaBGP's format.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{self, env::Env, ParseOptions};

const VALIDATE_HELP: &str = "\
rexa validate — check ExaBGP configuration files

Usage:
  rexa validate [OPTIONS] CONFIG...
  rexa --test [OPTIONS] CONFIG...        (ExaBGP 4 spelling)

Each file is parsed and checked (keywords, values, templates, families of routes,
api processes). Errors are printed as `file:line:col: found ..., expected ...`.
The programs named by `process { run ...; }` need not exist.

Options:
  -d, --dump       print the normalized configuration (neighbors after template
                   inheritance, routes with all their attributes)
  -q, --quiet      print nothing on success
  -P, --passive    treat every neighbor as passive (like exabgp.bgp.passive)
  -n, --neighbor, -r, --route, -v, --verbose, -p, --pdb
                   accepted for ExaBGP compatibility; no effect
  -h, --help       this text

Exit status: 0 when every file is valid, 1 otherwise.
";

const ENV_HELP: &str = "\
rexa env — print the effective exabgp.* environment settings

Usage:
  rexa env [OPTIONS]

Settings come from, highest priority first: environment variables written
`exabgp.section.key=value`, then `exabgp_section_key=value`, then the ini file
(`--env-file FILE`, else $EXABGP_ENVFILE, else /etc/exabgp/exabgp.env if present),
then ExaBGP's defaults.

Options:
  -d, --diff       only the settings that differ from the defaults
  -e, --env        print `exabgp.section.key='value'` lines instead of ini sections
  -f, --env-file FILE
                   read this ini file
  -h, --help       this text
";

pub fn main(args: Vec<OsString>) -> ExitCode {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dump = false;
    let mut quiet = false;
    let mut options = ParseOptions::default();
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => {
                eprintln!("rexa validate: {e}\n\n{VALIDATE_HELP}");
                return ExitCode::from(1);
            }
        };
        match arg {
            Short('h') | Long("help") => {
                print!("{VALIDATE_HELP}");
                return ExitCode::SUCCESS;
            }
            Short('d') | Long("dump") => dump = true,
            Short('q') | Long("quiet") => quiet = true,
            Short('P') | Long("passive") => options.assume_passive = true,
            Short('n') | Long("neighbor") | Short('r') | Long("route") | Short('v')
            | Long("verbose") | Short('p') | Long("pdb") => {}
            Value(v) => files.push(PathBuf::from(v)),
            other => {
                eprintln!("rexa validate: {}\n\n{VALIDATE_HELP}", other.unexpected());
                return ExitCode::from(1);
            }
        }
    }
    if files.is_empty() {
        eprintln!("rexa validate: no configuration file given\n\n{VALIDATE_HELP}");
        return ExitCode::from(1);
    }
    if Env::from_process(None)
        .map(|e| e.bgp.passive)
        .unwrap_or(false)
    {
        options.assume_passive = true;
    }
    let mut ok = true;
    for file in &files {
        match config::load(file, &options) {
            Ok(config) => {
                for warning in &config.warnings {
                    eprintln!("{warning}");
                }
                if dump {
                    print!("{}", config::dump::dump(&config));
                }
                if !quiet {
                    eprintln!(
                        "{}: valid ({} neighbor(s), {} process(es), {} route(s))",
                        file.display(),
                        config.neighbors.len(),
                        config.processes.len(),
                        config
                            .neighbors
                            .iter()
                            .map(|n| n.routes.len())
                            .sum::<usize>()
                    );
                }
            }
            Err(e) => {
                eprintln!("{e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

pub fn env_main(args: Vec<OsString>) -> ExitCode {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut diff = false;
    let mut as_env = false;
    let mut env_file: Option<PathBuf> = None;
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => {
                eprintln!("rexa env: {e}\n\n{ENV_HELP}");
                return ExitCode::from(1);
            }
        };
        match arg {
            Short('h') | Long("help") => {
                print!("{ENV_HELP}");
                return ExitCode::SUCCESS;
            }
            Short('d') | Long("diff") => diff = true,
            Short('e') | Long("env") => as_env = true,
            Short('f') | Long("env-file") => match parser.value() {
                Ok(v) => env_file = Some(PathBuf::from(v)),
                Err(e) => {
                    eprintln!("rexa env: {e}");
                    return ExitCode::from(1);
                }
            },
            other => {
                eprintln!("rexa env: {}\n\n{ENV_HELP}", other.unexpected());
                return ExitCode::from(1);
            }
        }
    }
    match Env::from_process(env_file.as_deref()) {
        Ok(env) => {
            print!("{}", env.render(diff, as_env));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rexa env: {e}");
            ExitCode::from(1)
        }
    }
}
