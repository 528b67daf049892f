//! The control socket end to end (api.md §9.2): the real daemon creates `<dir>/exabgp.sock`,
//! runs its socket bridge, and clients (`rexa cli` and raw connections) get their own answers,
//! with correlation identifiers when they ask for them.

mod support {
    pub mod interop;
}

use std::fs;
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::interop::{run_dir, Rexa};

const LIMIT: Duration = Duration::from_secs(20);

fn passive_config(local: Ipv4Addr, peer: Ipv4Addr) -> String {
    format!(
        "neighbor {peer} {{\n  router-id {local};\n  local-address {local};\n  local-as 65000;\n  \
         peer-as 65001;\n  passive;\n  family {{ ipv4 unicast; }}\n}}\n"
    )
}

fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Starts the daemon with its CLI directory `dir`; waits until the socket bridge runs.
fn start(dir: &Path, config: &str, env: &[(&str, &str)]) -> Rexa {
    let dir_text = dir.display().to_string();
    let mut all = vec![("REXA_CLI_DIR", dir_text.as_str()), ("exabgp_tcp_bind", "")];
    all.extend_from_slice(env);
    let rexa = Rexa::start(dir, config, &all);
    assert!(
        rexa.wait_log("process api-internal-cli-socket-", 1, LIMIT),
        "no socket bridge:\n{}",
        rexa.log()
    );
    rexa
}

/// `rexa cli ARGS...` with `dir` searched first; `ids` runs it as that (uid, gid).
fn cli(dir: &Path, args: &[&str], ids: Option<(u32, u32)>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rexa"));
    command
        .arg("cli")
        .args(args)
        .env("REXA_CLI_DIR", dir)
        .env_remove("exabgp_cli_pipe")
        .env_remove("exabgp_cli_socket");
    if let Some((uid, gid)) = ids {
        command.uid(uid).gid(gid);
    }
    command.output().expect("run rexa cli")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn connect(path: &Path) -> UnixStream {
    let stream = UnixStream::connect(path).expect("connect to the control socket");
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    stream
}

/// Reads lines until `terminals` of them end an answer (`done` / `error`, with or without an
/// identifier), for at most [`LIMIT`].
fn read_answers(stream: &mut UnixStream, terminals: usize) -> Vec<String> {
    let start = Instant::now();
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = text(&buffer);
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let ends = lines
            .iter()
            .filter(|l| {
                let last = l.rsplit(' ').next().unwrap_or_default();
                last == "done" || last == "error"
            })
            .count();
        if ends >= terminals && text.ends_with('\n') {
            return lines;
        }
        assert!(
            start.elapsed() < LIMIT,
            "{ends} of {terminals} answers in time:\n{text}"
        );
        match stream.read(&mut chunk) {
            Ok(0) => panic!("the bridge closed the connection:\n{text}"),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(error) => panic!("read: {error}"),
        }
    }
}

#[test]
fn rexa_cli_uses_the_socket_made_0600() {
    let dir = run_dir("socket-cli");
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 201), Ipv4Addr::new(127, 0, 0, 202));
    let mut rexa = start(&dir, &config, &[]);
    let path = dir.join("exabgp.sock");
    let meta = fs::metadata(&path).expect("the socket exists");
    assert_eq!(meta.mode() & 0o7777, 0o600, "{:o}", meta.mode());
    assert_eq!(meta.uid(), fs::metadata("/proc/self").expect("self").uid());

    // No FIFOs in `dir`: only the socket can carry these.
    let output = cli(&dir, &["show", "neighbor", "summary"], None);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{output:?}\n{}", rexa.log());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("Peer            AS"), "{stdout}");
    assert!(lines[1].starts_with("127.0.0.202 "), "{stdout}");

    let output = cli(&dir, &["--socket", "s", "n", "s"], None);
    assert!(output.status.success(), "{output:?}");
    assert!(text(&output.stdout).starts_with("command: show neighbor summary\nPeer"));

    let output = cli(&dir, &["--socket", "no", "such", "command"], None);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(text(&output.stderr).contains("rexa returns an error"));

    // `--pipe` insists on the pipes, which do not exist.
    let output = cli(&dir, &["--pipe", "version"], None);
    assert_eq!(output.status.code(), Some(1), "{output:?}");

    assert!(rexa.terminate().is_some_and(|s| s.success()));
    assert!(!path.exists(), "the socket file is removed at exit");
    // Without a daemon, `--socket` finds nothing.
    let output = cli(&dir, &["--socket", "version"], None);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
}

#[test]
fn two_clients_at_once_each_get_their_own_answers() {
    let dir = run_dir("socket-two");
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 203), Ipv4Addr::new(127, 0, 0, 204));
    let mut rexa = start(&dir, &config, &[]);
    let path = dir.join("exabgp.sock");
    let mut summary = connect(&path);
    let mut version = connect(&path);
    const ROUNDS: usize = 20;
    // Both write all their commands before reading anything: the bridge interleaves them.
    for _ in 0..ROUNDS {
        summary
            .write_all(b"show neighbor summary\n")
            .expect("write");
        version.write_all(b"version\n").expect("write");
    }
    version.write_all(b"no such command\n").expect("write");
    let lines = read_answers(&mut summary, ROUNDS);
    assert_eq!(lines.len(), ROUNDS * 3, "{lines:?}");
    for answer in lines.chunks(3) {
        assert!(answer[0].starts_with("Peer "), "{lines:?}");
        assert!(answer[1].starts_with("127.0.0.204 "), "{lines:?}");
        assert_eq!(answer[2], "done");
    }
    let lines = read_answers(&mut version, ROUNDS + 1);
    assert_eq!(lines.len(), ROUNDS * 2 + 1, "{lines:?}");
    for answer in lines[..ROUNDS * 2].chunks(2) {
        assert!(answer[0].starts_with("rexa "), "{lines:?}");
        assert_eq!(answer[1], "done");
    }
    assert_eq!(lines.last().map(String::as_str), Some("error"));
    assert!(rexa.terminate().is_some_and(|s| s.success()));
}

#[test]
fn tagged_commands_are_answered_with_their_identifier() {
    let dir = run_dir("socket-ids");
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 205), Ipv4Addr::new(127, 0, 0, 206));
    let mut rexa = start(&dir, &config, &[("exabgp_log_level", "DEBUG")]);
    let mut client = connect(&dir.join("exabgp.sock"));
    client
        .write_all(
            b"@a1 show neighbor summary\n@b-2 bogus\nversion\n@c3 version\n@ version\n\
              @d4 silence-ack\n@e5 version\n@f6 enable-ack\n@g7 version\n",
        )
        .expect("write");
    let lines = read_answers(&mut client, 7);
    assert_eq!(
        lines,
        [
            "@a1 Peer            AS        up/down state       |     #sent     #recvd",
            &lines[1],
            "@a1 done",
            "@b-2 error",
            &format!("rexa {}", env!("CARGO_PKG_VERSION")),
            "done",
            &format!("@c3 rexa {}", env!("CARGO_PKG_VERSION")),
            "@c3 done",
            // An `@` without an identifier.
            "error",
            // Acks silenced: the answer without its `done`.
            &format!("@e5 rexa {}", env!("CARGO_PKG_VERSION")),
            "@f6 done",
            &format!("@g7 rexa {}", env!("CARGO_PKG_VERSION")),
            "@g7 done",
        ]
    );
    assert!(lines[1].starts_with("@a1 127.0.0.206 "), "{lines:?}");
    // `reset` (nothing left to drop) is never answered; a line longer than the daemon takes
    // is an error, still with its identifier.
    let long = [b"@long ".as_slice(), &vec![b'x'; (1 << 20) + 10], b"\n"].concat();
    client.write_all(&long).expect("write");
    assert_eq!(read_answers(&mut client, 1), ["@long error"]);
    client.write_all(b"reset\n@h8 version\n").expect("write");
    let lines = read_answers(&mut client, 1);
    assert_eq!(
        lines,
        [
            format!("@h8 rexa {}", env!("CARGO_PKG_VERSION")),
            "@h8 done".to_owned()
        ]
    );
    // The daemon saw the commands without their identifiers.
    assert!(rexa.wait_log(": show neighbor summary", 1, LIMIT));
    assert_eq!(rexa.count("@a1"), 0, "{}", rexa.log());
    assert!(rexa.terminate().is_some_and(|s| s.success()));
}

#[test]
fn a_stale_socket_file_is_replaced_and_a_live_one_kept() {
    let dir = run_dir("socket-stale");
    let path = dir.join("exabgp.sock");
    // A socket file nobody listens on (its process died).
    drop(UnixListener::bind(&path).expect("bind"));
    let config = passive_config(Ipv4Addr::new(127, 0, 0, 207), Ipv4Addr::new(127, 0, 0, 208));
    let mut rexa = start(&dir, &config, &[]);
    let output = cli(&dir, &["--socket", "version"], None);
    assert!(output.status.success(), "{output:?}\n{}", rexa.log());
    assert!(rexa.terminate().is_some_and(|s| s.success()));
    assert!(!path.exists());

    // A live one (another daemon's) is left alone: no socket for this daemon.
    let dir = run_dir("socket-live");
    let path = dir.join("exabgp.sock");
    let listener = UnixListener::bind(&path).expect("bind");
    let mut rexa = Rexa::start(
        &dir,
        &config,
        &[
            ("REXA_CLI_DIR", dir.display().to_string().as_str()),
            ("exabgp_tcp_bind", ""),
        ],
    );
    assert!(
        rexa.wait_log("already listens on", 1, LIMIT),
        "{}",
        rexa.log()
    );
    assert_eq!(rexa.count("api-internal-cli-socket-"), 0, "{}", rexa.log());
    assert!(rexa.terminate().is_some_and(|s| s.success()));
    assert!(path.exists(), "another process's socket is not removed");
    drop(listener);
}

/// A directory every user may enter (not under the repository, whose parents may be closed
/// to other users), emptied first.
fn open_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rexa-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the test directory");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// `name`'s uid and gid from /etc/passwd.
fn account(name: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.first() != Some(&name) {
            return None;
        }
        Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
    })
}

#[test]
fn only_root_and_the_daemon_user_may_connect() {
    if !is_root() {
        eprintln!("SKIPPED: switching users needs root (this test runs as root in CI)");
        return;
    }
    let Some(nobody) = account("nobody") else {
        eprintln!("SKIPPED: no nobody account");
        return;
    };
    let dir = open_dir("socket-creds");
    let config_text = passive_config(Ipv4Addr::new(127, 0, 0, 209), Ipv4Addr::new(127, 0, 0, 210));
    // The daemon (and so its bridge) runs as nobody; the socket is nobody's.
    let mut rexa = start(&dir, &config_text, &[("exabgp_daemon_user", "nobody")]);
    let path = dir.join("exabgp.sock");
    let meta = fs::metadata(&path).expect("the socket exists");
    assert_eq!((meta.uid(), meta.gid()), nobody);
    assert_eq!(meta.mode() & 0o7777, 0o600);

    let output = cli(&dir, &["--socket", "version"], None);
    assert!(output.status.success(), "root: {output:?}\n{}", rexa.log());
    let output = cli(&dir, &["--socket", "version"], Some(nobody));
    assert!(
        output.status.success(),
        "nobody: {output:?}\n{}",
        rexa.log()
    );

    // Another user: the file's mode stops it; opened up, the credentials check does.
    let other = (nobody.0 - 1, nobody.1 - 1);
    let output = cli(&dir, &["--socket", "version"], Some(other));
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        text(&output.stderr).contains("ermission denied"),
        "{output:?}"
    );
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).expect("chmod");
    let output = cli(&dir, &["--socket", "version"], Some(other));
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        text(&output.stdout),
        "error: permission denied\n",
        "{output:?}"
    );
    assert!(
        rexa.wait_log(&format!("refused a client of uid {}", other.0), 1, LIMIT),
        "{}",
        rexa.log()
    );
    assert!(rexa.terminate().is_some_and(|s| s.success()));
    // nobody may not remove a file from root's directory: the next start replaces it.
    let _ = fs::remove_dir_all(&dir);
}
