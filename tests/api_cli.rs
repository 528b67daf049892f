//! The CLI end to end (api.md §9.1): the real daemon finds the FIFOs a test made, runs its
//! pipe bridge, and `rexa cli ...` sends commands through them and prints the answers.

mod support {
    pub mod interop;
    pub mod sink;
}

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use rexa::bgp::negotiated::Negotiated;
use rexa::bgp::nlri::{Nlri, Prefix};
use support::interop::{run_dir, wait_for, Rexa};
use support::sink::SinkListener;

const LIMIT: Duration = Duration::from_secs(20);

/// A run directory with the FIFO pair `<pipename>.in` / `<pipename>.out` in it.
fn fifo_dir(name: &str, pipename: &str) -> PathBuf {
    let dir = run_dir(name);
    for end in ["in", "out"] {
        let path = dir.join(format!("{pipename}.{end}"));
        let status = Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("run mkfifo");
        assert!(status.success(), "mkfifo {}", path.display());
    }
    dir
}

/// A neighbor that waits for its peer (no connection attempt) and names no api process.
fn passive_config(local: Ipv4Addr, peer: Ipv4Addr) -> String {
    format!(
        "neighbor {peer} {{\n  router-id {local};\n  local-address {local};\n  local-as 65000;\n  \
         peer-as 65001;\n  passive;\n  family {{ ipv4 unicast; }}\n}}\n"
    )
}

/// `rexa cli --pipe ARGS...` with the pipes looked for in `dir` first (the daemon also
/// makes its control socket there, which the client would otherwise prefer:
/// tests/api_socket.rs covers it).
fn cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rexa"))
        .args(["cli", "--pipe"])
        .args(args)
        .env("REXA_CLI_DIR", dir)
        .env_remove("exabgp_cli_pipe")
        .output()
        .expect("run rexa cli")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Starts the daemon on `config` with its CLI pipes in `dir`; waits until the bridge runs.
fn start(dir: &Path, config: &str, env: &[(&str, &str)]) -> Rexa {
    let dir_text = dir.display().to_string();
    let mut all = vec![("REXA_CLI_DIR", dir_text.as_str())];
    all.extend_from_slice(env);
    let rexa = Rexa::start(dir, config, &all);
    assert!(
        rexa.wait_log("process api-internal-cli-pipe-", 1, LIMIT),
        "no cli bridge:\n{}",
        rexa.log()
    );
    rexa
}

/// The pids of the processes whose parent is `parent` (read from /proc).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // `pid (comm) state ppid ...`: the command name may hold spaces.
            let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            after.split_whitespace().nth(1) == Some(&parent.to_string())
        })
        .collect()
}

/// Whether `pid` is a live (not zombie) process.
fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        after.split_whitespace().next() != Some("Z")
    })
}

#[test]
fn show_neighbor_summary_prints_the_table() {
    let dir = fifo_dir("cli-summary", "exabgp");
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 191), Ipv4Addr::new(127, 0, 0, 192));
    // Commands are logged at debug level.
    let mut rexa = start(&dir, &config, &[("exabgp_log_level", "DEBUG")]);
    let output = cli(&dir, &["show", "neighbor", "summary"]);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{output:?}\n{stdout}\n{}",
        rexa.log()
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("Peer            AS"), "{stdout}");
    assert!(lines[1].starts_with("127.0.0.192 "), "{stdout}");
    assert!(lines[1].contains("down"), "{stdout}");
    assert!(!stdout.contains("command:"), "nothing was abbreviated");

    // The abbreviated form is expanded, echoed, and answered the same.
    let output = cli(&dir, &["s", "n", "s"]);
    let abbreviated = text(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let mut lines = abbreviated.lines();
    assert_eq!(lines.next(), Some("command: show neighbor summary"));
    assert_eq!(lines.collect::<Vec<_>>().join("\n"), stdout.trim_end());

    // An answer nobody read (a command written straight into the pipe) is drained by the
    // next client, which prints only its own.
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut commands = fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(dir.join("exabgp.in"))
            .expect("open .in");
        commands.write_all(b"version\n").expect("write");
    }
    assert!(
        rexa.wait_log(": version", 1, LIMIT),
        "the command did not run:\n{}",
        rexa.log()
    );
    // Time for the answer to travel through the bridge into the pipe.
    std::thread::sleep(Duration::from_millis(300));
    let output = cli(&dir, &["show", "neighbor", "summary"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), stdout, "the stale answer was drained");

    // Commands that print: `version`, and `help` when no command is given.
    let output = cli(&dir, &["version"]);
    assert!(output.status.success(), "{output:?}");
    assert!(text(&output.stdout).starts_with("rexa "), "{output:?}");
    let output = cli(&dir, &[]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        text(&output.stdout).contains("available API commands are listed here:"),
        "{output:?}"
    );
    assert!(rexa.terminate().is_some_and(|s| s.success()));
}

#[test]
fn an_unknown_command_exits_1() {
    let dir = fifo_dir("cli-unknown", "rexa");
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 193), Ipv4Addr::new(127, 0, 0, 194));
    // The pipe name comes from exabgp.api.pipename, for the daemon and the client alike.
    // Acks off for helpers: the bridge turns them on for itself.
    let mut rexa = start(
        &dir,
        &config,
        &[("exabgp_api_pipename", "rexa"), ("exabgp_api_ack", "false")],
    );
    let output = cli(&dir, &["--pipename", "rexa", "this", "is", "no", "command"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    assert!(
        text(&output.stderr).contains("rexa returns an error"),
        "{output:?}"
    );
    // A route for a neighbor that does not exist is an error too; the next command works.
    let output = cli(
        &dir,
        &[
            "--pipename",
            "rexa",
            "neighbor",
            "127.0.0.99",
            "announce",
            "route",
            "10.0.0.0/24",
            "next-hop",
            "self",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let output = cli(&dir, &["--pipename", "rexa", "version"]);
    assert!(output.status.success(), "{output:?}");
    // Under the default name there are no pipes in `dir`, nor anywhere else.
    let output = Command::new(env!("CARGO_BIN_EXE_rexa"))
        .args(["cli", "--pipe", "version"])
        .env("REXA_CLI_DIR", &dir)
        .env_remove("exabgp_api_pipename")
        .env_remove("exabgp.api.pipename")
        .env_remove("exabgp_cli_pipe")
        .output()
        .expect("run rexa cli");
    if !Path::new("/run/exabgp/exabgp.in").exists() && !Path::new("/run/exabgp.in").exists() {
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(
            text(&output.stderr).contains("could not find rexa's named pipes"),
            "{output:?}"
        );
    }
    assert!(rexa.terminate().is_some_and(|s| s.success()));
}

#[test]
fn without_a_daemon_the_client_says_so() {
    let dir = fifo_dir("cli-no-daemon", "exabgp");
    let output = cli(&dir, &["show", "neighbor", "summary"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let message = format!(
        "rexa is not running (no reader on {})",
        dir.join("exabgp.in").display()
    );
    assert!(text(&output.stderr).contains(&message), "{output:?}");
}

#[test]
fn a_route_from_the_cli_reaches_a_peer_no_api_block_names() {
    let dir = fifo_dir("cli-announce", "exabgp");
    let local = Ipv4Addr::new(127, 0, 0, 195);
    let peer = Ipv4Addr::new(127, 0, 0, 196);
    let listener = SinkListener::bind(peer, None).expect("bind the sink");
    let config = format!(
        "neighbor {peer} {{\n  router-id {local};\n  local-address {local};\n  local-as 65000;\n  \
         peer-as 65001;\n  connect {};\n  family {{ ipv4 unicast; }}\n}}\n",
        listener.port()
    );
    let mut rexa = start(&dir, &config, &[]);
    let mut sink = listener
        .accept(65001, peer, LIMIT)
        .unwrap_or_else(|e| panic!("no session: {e}\n{}", rexa.log()));
    sink.receive_until_eor(LIMIT, |_| {})
        .unwrap_or_else(|e| panic!("no end-of-rib: {e}\n{}", rexa.log()));
    let output = cli(
        &dir,
        &[
            "announce",
            "route",
            "10.19.6.0/24",
            "next-hop",
            "127.0.0.195",
            "med",
            "19",
        ],
    );
    assert!(output.status.success(), "{output:?}\n{}", rexa.log());
    let wanted = Nlri::prefix(Prefix::v4(Ipv4Addr::new(10, 19, 6, 0), 24).expect("prefix"));
    let ctx = Negotiated::default();
    let mut seen = Vec::new();
    sink.receive_until(LIMIT, |update| {
        if let Some(view) = update {
            seen.extend(view.announced(&ctx).flatten());
        }
        seen.contains(&wanted)
    })
    .unwrap_or_else(|e| panic!("the route did not arrive: {e}\n{}", rexa.log()));

    // Abbreviated, with a neighbor selector: `n <ip> w r ...`.
    let output = cli(
        &dir,
        &[
            "n",
            "127.0.0.196",
            "w",
            "r",
            "10.19.6.0/24",
            "next-hop",
            "127.0.0.195",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        text(&output.stdout).lines().next(),
        Some("command: neighbor 127.0.0.196 withdraw route 10.19.6.0/24 next-hop 127.0.0.195")
    );
    let mut withdrawn = Vec::new();
    sink.receive_until(LIMIT, |update| {
        if let Some(view) = update {
            withdrawn.extend(view.withdrawn(&ctx).flatten());
        }
        withdrawn.contains(&wanted)
    })
    .unwrap_or_else(|e| panic!("the withdrawal did not arrive: {e}\n{}", rexa.log()));
    assert!(rexa.terminate().is_some_and(|s| s.success()));
}

#[test]
fn the_bridge_ends_with_the_daemon() {
    let dir = fifo_dir("cli-bridge-exit", "exabgp");
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 197), Ipv4Addr::new(127, 0, 0, 198));
    let mut rexa = start(&dir, &config, &[]);
    let daemon = rexa.daemon.pid();
    let bridge = wait_for(LIMIT, || children_of(daemon).first().copied())
        .unwrap_or_else(|| panic!("no bridge process:\n{}", rexa.log()));
    let environ = fs::read(format!("/proc/{bridge}/environ")).unwrap_or_default();
    let pipe_var = format!("exabgp_cli_pipe={}/", dir.display());
    assert!(
        environ
            .split(|b| *b == 0)
            .any(|var| var == pipe_var.as_bytes()),
        "the bridge runs with {pipe_var}"
    );
    // Several clients one after the other: the bridge keeps serving.
    for _ in 0..3 {
        let output = cli(&dir, &["version"]);
        assert!(output.status.success(), "{output:?}");
    }
    assert!(alive(bridge));
    // A second daemon on the same pipes leaves them to the first.
    let second_dir = run_dir("cli-bridge-exit-second");
    let second_config =
        passive_config(Ipv4Addr::new(127, 0, 0, 199), Ipv4Addr::new(127, 0, 0, 198));
    let dir_text = dir.display().to_string();
    let mut second = Rexa::start(&second_dir, &second_config, &[("REXA_CLI_DIR", &dir_text)]);
    assert!(
        second.wait_log("already reads", 1, LIMIT),
        "{}",
        second.log()
    );
    assert!(children_of(second.daemon.pid()).is_empty());
    assert!(second.terminate().is_some_and(|s| s.success()));
    // A reload keeps the bridge (it is not part of the configuration).
    let output = cli(&dir, &["reload"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "reload in progress\n");
    let output = cli(&dir, &["version"]);
    assert!(output.status.success(), "{output:?}\n{}", rexa.log());
    assert!(alive(bridge));
    // SIGUSR2 restarts the helpers, the bridge among them. The daemon also runs its
    // control-socket bridge: the pipe bridge is the new child that holds `.in` open (until
    // it has, a client would find no reader).
    assert!(rexa.daemon.signal("USR2"));
    let input = dir.join("exabgp.in");
    let holds_input = |pid: u32| {
        fs::read_dir(format!("/proc/{pid}/fd"))
            .ok()
            .is_some_and(|fds| {
                fds.filter_map(|fd| fs::read_link(fd.ok()?.path()).ok())
                    .any(|target| target == input)
            })
    };
    let old_bridge = bridge;
    let bridge = wait_for(LIMIT, || {
        children_of(daemon)
            .into_iter()
            .find(|pid| *pid != old_bridge && alive(*pid) && holds_input(*pid))
            .filter(|_| !alive(old_bridge))
    })
    .unwrap_or_else(|| {
        panic!(
            "no new bridge reading {} after SIGUSR2:\n{}",
            input.display(),
            rexa.log()
        )
    });
    let output = cli(&dir, &["version"]);
    assert!(output.status.success(), "{output:?}\n{}", rexa.log());
    assert!(rexa.terminate().is_some_and(|s| s.success()));
    let gone = wait_for(LIMIT, || (!alive(bridge)).then_some(()));
    assert!(gone.is_some(), "the bridge {bridge} outlived the daemon");
    // With no bridge left, the client finds no reader.
    let output = cli(&dir, &["version"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
}

#[test]
fn without_fifos_the_daemon_says_how_to_make_them() {
    let dir = run_dir("cli-no-fifos");
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 199), Ipv4Addr::new(127, 0, 0, 192));
    let dir_text = dir.display().to_string();
    // Another pipe name than any that could exist on the machine.
    let mut rexa = Rexa::start(
        &dir,
        &config,
        &[
            ("REXA_CLI_DIR", dir_text.as_str()),
            ("exabgp_api_pipename", "rexa-test-absent"),
        ],
    );
    assert!(rexa.wait_log("mkfifo", 1, LIMIT), "{}", rexa.log());
    assert_eq!(rexa.count("api-internal-cli-pipe"), 0, "{}", rexa.log());
    // The control socket's bridge is the daemon's only child.
    assert!(
        rexa.wait_log("process api-internal-cli-socket-", 1, LIMIT),
        "{}",
        rexa.log()
    );
    assert_eq!(children_of(rexa.daemon.pid()).len(), 1, "{}", rexa.log());
    assert!(rexa.terminate().is_some_and(|s| s.success()));
}

/// A child killed (by its PID) and reaped when the test ends, whatever happened.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

#[test]
fn the_bridge_copies_lines_both_ways_and_ends_with_its_stdin() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    use std::process::Stdio;

    let dir = fifo_dir("cli-bridge-alone", "exabgp");
    let mut bridge = Reaped(
        Command::new(env!("CARGO_BIN_EXE_rexa"))
            // The arguments do not matter: the variable makes the binary a bridge.
            .arg("no-such.conf")
            .env("exabgp_cli_pipe", format!("{}/", dir.display()))
            .env_remove("exabgp_api_pipename")
            .env_remove("exabgp.api.pipename")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the bridge"),
    );
    let mut to_bridge = bridge.0.stdin.take().expect("stdin");
    let from_bridge = bridge.0.stdout.take().expect("stdout");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from_bridge).lines() {
            if lines.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let next = || {
        received
            .recv_timeout(LIMIT)
            .expect("a line from the bridge")
    };
    assert_eq!(next(), "enable-ack");
    // The daemon's answer to `enable-ack` is not for any client.
    to_bridge.write_all(b"done\n").expect("write");

    // Answers wait in `.out` for a reader that comes later (`echo ... > .in; cat .out`).
    to_bridge.write_all(b"early\ndone\n").expect("write");
    let mut answers = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(dir.join("exabgp.out"))
        .expect("open .out");
    let mut read_answer = |answer: &mut Vec<u8>| {
        wait_for(LIMIT, || {
            let mut chunk = [0u8; 256];
            while let Ok(n) = answers.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                answer.extend_from_slice(&chunk[..n]);
            }
            answer.ends_with(b"done\n").then_some(())
        })
    };
    let mut answer = Vec::new();
    assert!(read_answer(&mut answer).is_some(), "{:?}", text(&answer));
    assert_eq!(text(&answer), "early\ndone\n");
    // Each client opens `.in`, writes, closes: the bridge reads every one of them.
    for round in 0..3 {
        let mut commands = fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(dir.join("exabgp.in"))
            .expect("the bridge reads .in");
        writeln!(commands, "version {round}").expect("write the command");
        drop(commands);
        assert_eq!(next(), format!("version {round}"));
        to_bridge
            .write_all(format!("rexa {round}\ndone\n").as_bytes())
            .expect("write");
        let mut answer = Vec::new();
        let complete = read_answer(&mut answer);
        assert!(complete.is_some(), "answer so far: {:?}", text(&answer));
        assert_eq!(text(&answer), format!("rexa {round}\ndone\n"));
    }
    // The daemon closing the bridge's stdin ends it.
    drop(to_bridge);
    let status = wait_for(LIMIT, || bridge.0.try_wait().ok().flatten());
    assert!(
        status.is_some_and(|s| s.success()),
        "the bridge did not end: {status:?}"
    );
}

#[test]
fn world_writable_fifos_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fifo_dir("cli-world-writable", "exabgp");
    for end in ["in", "out"] {
        fs::set_permissions(
            dir.join(format!("exabgp.{end}")),
            fs::Permissions::from_mode(0o666),
        )
        .expect("chmod");
    }
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 211), Ipv4Addr::new(127, 0, 0, 212));
    let dir_text = dir.display().to_string();
    let mut rexa = Rexa::start(&dir, &config, &[("REXA_CLI_DIR", dir_text.as_str())]);
    assert!(
        rexa.wait_log("writable by everyone", 1, LIMIT),
        "{}",
        rexa.log()
    );
    assert_eq!(rexa.count("api-internal-cli-pipe"), 0, "{}", rexa.log());
    assert!(rexa.terminate().is_some_and(|s| s.success()));
}

#[test]
fn tagged_commands_on_the_pipes_are_answered_with_their_identifier() {
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let dir = fifo_dir("cli-tagged", "exabgp");
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 213), Ipv4Addr::new(127, 0, 0, 214));
    let mut rexa = start(&dir, &config, &[]);
    let mut answers = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(dir.join("exabgp.out"))
        .expect("open .out");
    let mut commands = fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(dir.join("exabgp.in"))
        .expect("open .in");
    commands
        .write_all(
            b"@1 version\n@2 bogus\nversion\n@3 silence-ack\n@4 version\n@5 enable-ack\n@ x\n\
              @6 show neighbor summary\n",
        )
        .expect("write");
    let version = format!("rexa {}", env!("CARGO_PKG_VERSION"));
    let expected = [
        format!("@1 {version}"),
        "@1 done".into(),
        "@2 error".into(),
        version.clone(),
        "done".into(),
        // Acks silenced: the answer without its `done`, until `enable-ack`.
        format!("@4 {version}"),
        "@5 done".into(),
        "error".into(),
        "@6 Peer            AS        up/down state       |     #sent     #recvd".into(),
    ];
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let start = std::time::Instant::now();
    while !text(&buffer).contains("@6 done\n") && start.elapsed() < LIMIT {
        match answers.read(&mut chunk) {
            Ok(n) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let got = text(&buffer);
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), expected.len() + 2, "{got}");
    assert_eq!(lines[..expected.len()], expected, "{got}");
    assert!(
        lines[expected.len()].starts_with("@6 127.0.0.214 "),
        "{got}"
    );
    assert!(rexa.terminate().is_some_and(|s| s.success()));
}
