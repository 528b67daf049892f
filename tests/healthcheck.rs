//! `rexa healthcheck`'s IP set-up on the loopback, in a network namespace the test creates
//! (`unshare --net`): addresses added with their label, found by label, removed on exit,
//! and removed/restored with the state under `--dynamic-ip-setup`. Only as root; skipped
//! loudly otherwise. Also, without privileges: the process-level behaviours (pid file,
//! exit statuses, a stop signal withdrawing the routes, waiting for each answer).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(30);

fn rexa() -> &'static str {
    env!("CARGO_BIN_EXE_rexa")
}

fn run_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("healthcheck-cli")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("run directory");
    dir
}

/// Waits for `child` at most `LIMIT`, then kills it by PID: its exit code.
fn wait_bounded(child: &mut Child) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A started healthcheck, killed by PID (and reaped) if a failed assertion leaves it running.
struct Running(Child);

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn skip(why: &str) {
    eprintln!();
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!("!!! SKIPPED: the healthcheck IP set-up test {why}.");
    eprintln!("!!! It needs root and `unshare --net` (a network namespace of its own).");
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
}

/// Runs inside the namespace: four healthchecks, each leaving its output in a file.
const SCRIPT: &str = r#"set -e
ip link set lo up
hc() { "$HC" healthcheck --no-syslog --no-ack "$@"; }
# 1. Set-up: the missing address is added to lo with the label.
hc --ip 192.0.2.77/32 --label hc --interval 0 --rise 1 > out1
ip -o address show dev lo > addrs1
# 2. Discovery: no --ip, the addresses of lo labelled web*.
ip address add 192.0.2.88/32 dev lo label lo:web1
hc --label web --no-ip-setup --interval 0 --rise 1 > out2
# 3. A stop signal (sent by the third check) withdraws and removes the address set up.
hc --ip 192.0.2.99/32 --interval 0.05 --rise 1 --pid pid --cmd "sh ./stop-third.sh" > out3
ip -o address show dev lo > addrs3
# 4. Dynamic: added when UP, removed when DOWN (each check records lo first).
rm -f count
hc --ip 192.0.2.111/32 --no-ip-setup --dynamic-ip-setup --interval 0.05 --rise 1 --fall 1 \
   --pid pid --cmd "sh ./dynamic.sh" > out4
ip -o address show dev lo > addrs4
"#;

const STOP_THIRD: &str = r#"n=$(cat count 2>/dev/null || echo 0); n=$((n + 1)); echo $n > count
ip -o address show dev lo > during3
[ "$n" -lt 3 ] || kill -TERM "$(cat pid)"
exit 0
"#;

const DYNAMIC: &str = r#"n=$(cat count 2>/dev/null || echo 0); n=$((n + 1)); echo $n > count
ip -o address show dev lo > seen$n
case $n in 1) exit 0 ;; 2) exit 1 ;; *) kill -TERM "$(cat pid)"; exit 1 ;; esac
"#;

/// Runs the namespace script with `program` as the healthcheck, in `dir`: its exit code.
fn run_in_namespace(dir: &Path, program: &str) -> Option<i32> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("run directory");
    fs::write(dir.join("script.sh"), SCRIPT).expect("script");
    fs::write(dir.join("stop-third.sh"), STOP_THIRD).expect("script");
    fs::write(dir.join("dynamic.sh"), DYNAMIC).expect("script");
    let mut child = Command::new("unshare")
        .args(["--net", "sh", "script.sh"])
        .env("HC", program)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(fs::File::create(dir.join("stdout")).expect("log"))
        .stderr(fs::File::create(dir.join("stderr")).expect("log"))
        .spawn()
        .expect("unshare");
    wait_bounded(&mut child)
}

/// The files the namespace script leaves: what was printed and what `lo` held.
const NAMESPACE_FILES: &[&str] = &[
    "out1", "addrs1", "out2", "out3", "during3", "addrs3", "out4", "seen1", "seen2", "seen3",
    "addrs4",
];

#[test]
fn addresses_are_set_up_found_and_removed_in_a_namespace() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip("is not root");
    }
    let probe = Command::new("unshare").args(["--net", "true"]).status();
    if !probe.is_ok_and(|s| s.success()) {
        return skip("cannot create a network namespace (unshare --net failed)");
    }
    let base = run_dir("netns");
    let dir = base.join("rexa");
    let code = run_in_namespace(&dir, rexa());
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap_or_default();
    let context = format!("\n--- stderr:\n{}", read("stderr"));
    assert_eq!(code, Some(0), "the namespace script failed{context}");

    assert_eq!(
        read("out1"),
        "neighbor * announce route 192.0.2.77/32 next-hop self med 100\n"
    );
    assert!(
        read("addrs1")
            .lines()
            .any(|l| l.contains("inet 192.0.2.77/32") && l.contains("lo:hc")),
        "192.0.2.77/32 not set up with its label:\n{}",
        read("addrs1")
    );
    // --interval 0 ends without withdrawing or removing anything.
    assert_eq!(
        read("out2"),
        "neighbor * announce route 192.0.2.88/32 next-hop self med 100\n"
    );
    assert_eq!(
        read("out3"),
        "neighbor * announce route 192.0.2.99/32 next-hop self med 100\n\
         neighbor * announce route 192.0.2.99/32 next-hop self med 100\n\
         neighbor * withdraw route 192.0.2.99/32 next-hop self\n"
    );
    assert!(
        read("during3").contains("inet 192.0.2.99/32"),
        "never set up"
    );
    assert!(
        !read("addrs3").contains("192.0.2.99"),
        "not removed on exit"
    );
    assert!(
        read("addrs3").contains("192.0.2.77/32"),
        "an address it did not own went"
    );

    assert_eq!(
        read("out4"),
        "neighbor * announce route 192.0.2.111/32 next-hop self med 100\n\
         neighbor * announce route 192.0.2.111/32 next-hop self med 1000\n\
         neighbor * withdraw route 192.0.2.111/32 next-hop self\n"
    );
    assert!(!read("seen1").contains("192.0.2.111"), "set up before UP");
    assert!(
        read("seen2").contains("inet 192.0.2.111/32"),
        "not added on UP"
    );
    assert!(
        !read("seen3").contains("192.0.2.111"),
        "not removed on DOWN"
    );
    assert!(
        !read("addrs4").contains("192.0.2.111"),
        "left behind on exit"
    );

    // The same script with ExaBGP's healthcheck leaves the same files.
    let exabgp = std::env::var_os("REXA_EXABGP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/exabgp5/bin/exabgp"));
    if !exabgp.is_file() {
        assert!(
            std::env::var("REXA_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "{} is required (REXA_REQUIRE_INTEROP=1)",
            exabgp.display()
        );
        eprintln!(
            "!!! SKIPPED: the comparison with ExaBGP's IP set-up (no {})",
            exabgp.display()
        );
        return;
    }
    let theirs = base.join("exabgp");
    let code = run_in_namespace(&theirs, exabgp.to_str().expect("UTF-8 path"));
    let read_theirs = |name: &str| fs::read_to_string(theirs.join(name)).unwrap_or_default();
    assert_eq!(
        code,
        Some(0),
        "ExaBGP's run failed:\n{}",
        read_theirs("stderr")
    );
    for name in NAMESPACE_FILES {
        assert_eq!(
            read(name),
            read_theirs(name),
            "{name} differs from ExaBGP's"
        );
    }
}

fn healthcheck(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(rexa());
    command
        .arg("healthcheck")
        .args(["--no-syslog", "--no-ip-setup"])
        .args(args)
        .current_dir(dir);
    command
}

#[test]
fn exit_statuses_and_the_pid_file() {
    let dir = run_dir("status");
    let help = healthcheck(&dir, &["--help"]).output().expect("run");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--withdraw-on-down"));
    let bad = healthcheck(&dir, &["--rise"]).output().expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--rise: expected one argument"));
    let exclusive = healthcheck(&dir, &["--silent"]).output().expect("run");
    assert_eq!(
        exclusive.status.code(),
        Some(2),
        "--silent with --no-syslog"
    );
    let facility = Command::new(rexa())
        .args(["healthcheck", "--syslog-facility", "bogus", "--no-ip-setup"])
        .current_dir(&dir)
        .output()
        .expect("run");
    assert_eq!(facility.status.code(), Some(1));
    let pid = dir.join("pid");
    let once = healthcheck(
        &dir,
        &[
            "--ip",
            "192.0.2.5/32",
            "--interval",
            "0",
            "--rise",
            "1",
            "--no-ack",
            "--pid",
        ],
    )
    .arg(&pid)
    .stdin(Stdio::null())
    .output()
    .expect("run");
    assert!(once.status.success());
    assert_eq!(
        String::from_utf8_lossy(&once.stdout),
        "neighbor * announce route 192.0.2.5/32 next-hop self med 100\n"
    );
    let written = fs::read_to_string(&pid).expect("pid file");
    assert!(written.ends_with('\n') && written.trim().parse::<u32>().is_ok());
}

/// The lines of a child's pipe, read by a thread so that every wait for one is bounded.
struct Lines(std::sync::mpsc::Receiver<String>);

impl Lines {
    fn new(pipe: impl std::io::Read + Send + 'static) -> Lines {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if sender.send(line + "\n").is_err() {
                    break;
                }
            }
        });
        Lines(receiver)
    }
}

/// The next line, waiting at most `LIMIT` (the child is killed by PID otherwise).
fn line(lines: &mut Lines, child: &mut Child) -> String {
    match lines.0.recv_timeout(LIMIT) {
        Ok(text) => text,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the healthcheck printed no line");
        }
    }
}

#[test]
fn each_answer_is_awaited_and_sigterm_withdraws_everything() {
    let dir = run_dir("acks");
    let mut child = Running(
        healthcheck(
            &dir,
            &[
                "--ip",
                "192.0.2.6/32",
                "--ip",
                "192.0.2.7/32",
                "--rise",
                "1",
                "--interval",
                "0.05",
                "--debounce",
            ],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start"),
    );
    let mut input = child.stdin.take().expect("stdin");
    let mut output = Lines::new(child.stdout.take().expect("stdout"));
    assert_eq!(
        line(&mut output, &mut child),
        "neighbor * announce route 192.0.2.6/32 next-hop self med 100\n"
    );
    // Each command is answered, as the daemon does.
    input.write_all(b"done\n").expect("answer");
    assert_eq!(
        line(&mut output, &mut child),
        "neighbor * announce route 192.0.2.7/32 next-hop self med 101\n"
    );
    input.write_all(b"done\n").expect("answer");
    // Debounced: nothing more until the stop signal, which withdraws both.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    assert_eq!(
        line(&mut output, &mut child),
        "neighbor * withdraw route 192.0.2.6/32 next-hop self\n"
    );
    // The signal may have cut short the wait for the second answer, which then answers
    // the first withdraw: the healthcheck may be gone before the last answer is written.
    let _ = input.write_all(b"done\n");
    assert_eq!(
        line(&mut output, &mut child),
        "neighbor * withdraw route 192.0.2.7/32 next-hop self\n"
    );
    let _ = input.write_all(b"done\n");
    assert_eq!(wait_bounded(&mut child), Some(0));
}

#[test]
fn exabgp_spellings_work_with_the_binary_renamed() {
    let dir = run_dir("spellings");
    for name in ["exabgp", "exabgp-healthcheck"] {
        std::os::unix::fs::symlink(rexa(), dir.join(name)).expect("symlink");
    }
    let options = [
        "--no-syslog",
        "--no-ip-setup",
        "--no-ack",
        "--ip",
        "192.0.2.5/32",
        "--interval",
        "0",
        "--rise",
        "1",
    ];
    let spellings: [(PathBuf, &[&str]); 4] = [
        (dir.join("exabgp"), &["healthcheck"]),
        (dir.join("exabgp-healthcheck"), &[]),
        (PathBuf::from(rexa()), &["healthcheck"]),
        (PathBuf::from(rexa()), &["--run", "healthcheck"]),
    ];
    for (program, words) in spellings {
        let out = Command::new(&program)
            .args(words)
            .args(options)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .expect("run");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "neighbor * announce route 192.0.2.5/32 next-hop self med 100\n",
            "{} {words:?}: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Zero-second pauses (`--fast-interval 0`, no check command, a rise never reached) make a
/// loop that never sleeps: a stop signal must still end it, withdrawing the routes.
#[test]
fn a_loop_without_pauses_still_stops_on_sigterm() {
    let dir = run_dir("busy");
    let mut child = Running(
        healthcheck(
            &dir,
            &[
                "--ip",
                "192.0.2.8/32",
                "--rise",
                "1000000000",
                "--fast-interval",
                "0",
                "--no-ack",
                "--debug",
            ],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start"),
    );
    // The first transition is logged once the signal handlers are in place.
    let mut log = Lines::new(child.stderr.take().expect("stderr"));
    let mut seen = false;
    for _ in 0..100 {
        let text = line(&mut log, &mut child);
        if text.contains("Transition to RISING") {
            seen = true;
            break;
        }
    }
    assert!(seen, "never RISING");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    let mut output = Lines::new(child.stdout.take().expect("stdout"));
    assert_eq!(
        line(&mut output, &mut child),
        "neighbor * withdraw route 192.0.2.8/32 next-hop self\n"
    );
    assert_eq!(wait_bounded(&mut child), Some(0));
}

/// `--user`/`--group`: the check (and everything after the IP set-up) runs with the ids
/// of that user and group. Only as root, and where `nobody`/`nogroup` exist.
#[test]
fn privileges_are_dropped_after_the_ip_set_up() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip("(privilege drop) is not root");
    }
    let known = |kind: &str, name: &str| {
        Command::new("getent")
            .args([kind, name])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !known("passwd", "nobody") || !known("group", "nogroup") {
        return skip("(privilege drop) finds no nobody/nogroup");
    }
    let dir = run_dir("privileges");
    // The check writes where anyone may.
    let mut permissions = fs::metadata(&dir).expect("dir").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o777);
    fs::set_permissions(&dir, permissions).expect("chmod");
    let ids = dir.join("ids");
    let out = healthcheck(
        &dir,
        &[
            "--ip",
            "192.0.2.9/32",
            "--interval",
            "0",
            "--rise",
            "1",
            "--no-ack",
            "--user",
            "nobody",
            "--group",
            "nogroup",
            "--cmd",
            &format!("echo $(id -u) $(id -g) > {}", ids.display()),
        ],
    )
    .stdin(Stdio::null())
    .output()
    .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(&ids).expect("the check ran").trim(),
        "65534 65534"
    );
    let unknown = healthcheck(
        &dir,
        &[
            "--ip",
            "192.0.2.9/32",
            "--interval",
            "0",
            "--user",
            "no-such-user-rexa",
        ],
    )
    .stdin(Stdio::null())
    .output()
    .expect("run");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no such user"));
}

/// An execute hook that never ends is killed after `--timeout` (with its process group),
/// where ExaBGP would wait for it for ever: the healthcheck goes on and ends.
#[test]
fn a_hanging_hook_is_killed_after_the_timeout() {
    let dir = run_dir("hook-timeout");
    let mut child = Running(
        healthcheck(
            &dir,
            &[
                "--ip",
                "192.0.2.10/32",
                "--interval",
                "0",
                "--rise",
                "1",
                "--no-ack",
                "--timeout",
                "1",
                "--up-execute",
                "sleep 600",
            ],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start"),
    );
    let mut output = Lines::new(child.stdout.take().expect("stdout"));
    assert_eq!(
        line(&mut output, &mut child),
        "neighbor * announce route 192.0.2.10/32 next-hop self med 100\n"
    );
    assert_eq!(wait_bounded(&mut child), Some(0), "the hook was not killed");
}
