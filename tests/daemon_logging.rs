//! `exabgp.log.*` on the real binary: a syslog destination (a unix datagram socket the test
//! binds), remote syslog over UDP, a file destination in ExaBGP's long layout, topic
//! switches, and a destination that cannot be used refused at start.

mod support {
    pub mod interop;
}

use std::fs;
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::interop::{run_dir, wait_for, Daemon};

const LIMIT: Duration = Duration::from_secs(10);

fn config(dir: &Path, n: u8) -> PathBuf {
    let path = dir.join("rexa.conf");
    fs::write(
        &path,
        format!(
            "neighbor 127.0.10.{peer} {{\n  router-id 127.0.10.{n};\n  local-address 127.0.10.{n};\n  \
             local-as 65000;\n  peer-as 65001;\n  passive;\n  family {{ ipv4 unicast; }}\n}}\n",
            peer = n + 1
        ),
    )
    .expect("write the configuration");
    path
}

fn rexa(dir: &Path, config: &Path, env: &[(&str, &str)]) -> Daemon {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rexa"));
    command
        .arg(config)
        .env("exabgp_tcp_bind", "")
        .env("exabgp_api_cli", "false")
        .env("exabgp_daemon_user", "root")
        .env_remove("RUST_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    Daemon::spawn("rexa", dir, &mut command)
}

/// Datagrams received on `socket` until one contains `needle` (bounded).
fn receive_until(socket: &UnixDatagram, needle: &str) -> Vec<String> {
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    for _ in 0..100 {
        if let Ok(n) = socket.recv(&mut buffer) {
            seen.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
            if seen.last().is_some_and(|s| s.contains(needle)) {
                break;
            }
        }
    }
    seen
}

#[test]
fn syslog_lines_reach_the_local_socket_with_the_daemon_facility() {
    let dir = run_dir("logging-syslog");
    let socket_path = dir.join("log.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind the syslog socket");
    let destination = format!("syslog:{}", socket_path.display());
    let config = config(&dir, 1);
    let mut daemon = rexa(&dir, &config, &[("exabgp_log_destination", &destination)]);
    let needle = format!(" running {}", config.display());
    let seen = receive_until(&socket, &needle);
    daemon.stop();
    let running = seen
        .iter()
        .find(|s| s.contains(&needle))
        .unwrap_or_else(|| panic!("no start line in {seen:?}\n{}", daemon.log()));
    // <30>: facility daemon (3) × 8 + severity info (6); then the tag and ExaBGP's short
    // layout: the topic, then the message.
    assert!(running.starts_with("<30>"), "{running}");
    assert!(
        running.contains(&format!("rexa[{}]: reactor ", daemon.pid())),
        "{running}"
    );
    // Nothing went to stderr.
    assert!(!daemon.log().contains(&needle), "{}", daemon.log());
}

#[test]
fn remote_syslog_goes_over_udp() {
    let dir = run_dir("logging-remote");
    let socket = UdpSocket::bind("127.0.10.100:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let destination = format!("host:{}", socket.local_addr().expect("address"));
    let config = config(&dir, 3);
    let mut daemon = rexa(&dir, &config, &[("exabgp_log_destination", &destination)]);
    let mut buffer = [0u8; 4096];
    let line = wait_for(LIMIT, || {
        let n = socket.recv(&mut buffer).ok()?;
        let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
        text.contains(" running ").then_some(text)
    });
    daemon.stop();
    let line = line.unwrap_or_else(|| panic!("no line over UDP\n{}", daemon.log()));
    assert!(line.starts_with("<30>"), "{line}");
}

#[test]
fn a_file_destination_gets_the_long_layout_and_topics_filter_lines() {
    let dir = run_dir("logging-file");
    let log_path = dir.join("destination.log");
    let destination = log_path.display().to_string();
    let config = config(&dir, 5);
    // The reactor topic off: its INFO lines go, other topics stay.
    let mut daemon = rexa(
        &dir,
        &config,
        &[
            ("exabgp_log_destination", &destination),
            ("exabgp_log_reactor", "false"),
        ],
    );
    let text = wait_for(LIMIT, || {
        let text = fs::read_to_string(&log_path).ok()?;
        text.contains("running as root").then_some(text)
    });
    daemon.stop();
    let text = text.unwrap_or_else(|| panic!("no log file lines\n{}", daemon.log()));
    // HH:MM:SS pid topic message.
    let line = text
        .lines()
        .find(|l| l.contains("running as root"))
        .expect("the privileges line");
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        words.get(1),
        Some(&daemon.pid().to_string().as_str()),
        "{line}"
    );
    assert!(
        words
            .first()
            .is_some_and(|t| t.len() == 8 && t.as_bytes()[2] == b':'),
        "{line}"
    );
    assert_eq!(words.get(2), Some(&"daemon"), "{line}");
    assert!(
        !text.contains("neighbor 127.0.10.6: started"),
        "reactor lines are off:\n{text}"
    );
    // Appended to, never truncated: a second start adds to it.
    let before = fs::read_to_string(&log_path).unwrap_or_default().len();
    let mut again = rexa(&dir, &config, &[("exabgp_log_destination", &destination)]);
    let grown = wait_for(LIMIT, || {
        let text = fs::read_to_string(&log_path).ok()?;
        (text.len() > before && text.contains(" running ")).then_some(())
    });
    again.stop();
    assert!(grown.is_some(), "{}", again.log());
}

#[test]
fn an_unusable_destination_stops_the_start() {
    let dir = run_dir("logging-bad");
    let config = config(&dir, 7);
    for destination in ["nowhere", "/nonexistent-directory/rexa.log"] {
        let output = Command::new(env!("CARGO_BIN_EXE_rexa"))
            .arg(&config)
            .env("exabgp_tcp_bind", "")
            .env("exabgp_log_destination", destination)
            .stdin(Stdio::null())
            .output()
            .expect("run rexa");
        assert_eq!(output.status.code(), Some(1), "{destination}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(destination), "{destination}: {stderr}");
    }
}
