//! The daemon's command line: `rexa [server] [OPTIONS] CONFIG...`, its help text and the
//! options it sets.

use std::ffi::OsString;
use std::path::PathBuf;

pub(super) const HELP: &str = "\
Usage: rexa [server] [OPTIONS] CONFIG...

Runs the BGP daemon on an ExaBGP 4.x/5.x configuration.

Options:
  -e, --env FILE     read exabgp.* settings from FILE (also --env-file, EXABGP_ENVFILE)
  -d, --debug        log at debug level (same as exabgp.log.level=DEBUG)
  -1, --once         one connection attempt per peer (exabgp.tcp.attempts=1)
  -P, --passive      wait for peers to connect (exabgp.bgp.passive=true)
  -h, --help         this text

Several CONFIG files: the first runs; with exabgp.debug.rotate=true each reload (SIGUSR1)
moves to the next one. Environment variables exabgp.section.key / exabgp_section_key
override the settings (see `rexa env`).

Signals: SIGTERM, SIGINT, SIGHUP stop (a CEASE with a shutdown message to every peer);
SIGUSR1 reloads the configuration; SIGUSR2 reloads and restarts helper processes;
SIGALRM restarts every session.
";

/// What the command line asked for.
#[derive(Debug, Default)]
pub(super) struct Options {
    pub(super) configs: Vec<PathBuf>,
    pub(super) env_file: Option<PathBuf>,
    pub(super) debug: bool,
    pub(super) once: bool,
    pub(super) passive: bool,
}

pub(super) fn parse_args(args: Vec<OsString>) -> Result<Option<Options>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut options = Options::default();
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Short('e') | Long("env") | Long("env-file") => {
                options.env_file = Some(parser.value()?.into());
            }
            Short('d') | Long("debug") | Short('v') | Long("verbose") => options.debug = true,
            Short('1') | Long("once") => options.once = true,
            Short('P') | Long("passive") => options.passive = true,
            // ExaBGP's debugger and profiler switches have no meaning here.
            Short('p') | Long("pdb") | Short('m') | Long("memory") => {
                log::warn!("option {arg:?} is accepted for compatibility and ignored");
            }
            Value(value) => options.configs.push(value.into()),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(Some(options))
}
