//! `rexa healthcheck` against ExaBGP 5.0.15's `exabgp healthcheck`: both run with the same
//! options and the same scripted check results, and must print the same lines (and run the
//! same execute hooks). Skipped loudly without ExaBGP; a failure under REXA_REQUIRE_INTEROP=1.
//!
//! Deterministic by construction: the check reads its next result from a script by counting
//! its own runs, a result may create the disable file (the DISABLED hook removes it), and the
//! script's end stops the healthcheck with SIGTERM (its PID from `--pid`) while that check
//! runs. Intervals only pace the run; no result depends on timing (the one timeout is a
//! 3 s sleep against `--timeout 1`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The ExaBGP to compare with: `REXA_EXABGP`, else the 5.0.15 of /opt/exabgp5.
fn exabgp() -> Option<PathBuf> {
    let path = std::env::var_os("REXA_EXABGP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/exabgp5/bin/exabgp"));
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("REXA_REQUIRE_INTEROP").as_deref() == Ok("1") {
        panic!(
            "{} is required (REXA_REQUIRE_INTEROP=1) but is not installed: \
             python3 -m venv /opt/exabgp5 && /opt/exabgp5/bin/pip install exabgp==5.0.15",
            path.display()
        );
    }
    eprintln!();
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!(
        "!!! SKIPPED: the healthcheck golden test needs ExaBGP at {}.",
        path.display()
    );
    eprintln!("!!! Install it (python3 -m venv /opt/exabgp5 && /opt/exabgp5/bin/pip install exabgp==5.0.15)");
    eprintln!(
        "!!! or set REXA_EXABGP=/path/to/exabgp; REXA_REQUIRE_INTEROP=1 makes this a failure."
    );
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    None
}

/// The check: result number N (its Nth run) is line N of `script`: `ok`, `fail`,
/// `disable` (succeeds and creates the disable file), `timeout` (outlives `--timeout 1`);
/// past the end, it stops the healthcheck (SIGTERM to the PID in `pid`).
const CHECK: &str = r#"#!/bin/sh
dir=$1
n=$(cat "$dir/count" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$dir/count"
result=$(sed -n "${n}p" "$dir/script")
case "$result" in
    ok) exit 0 ;;
    fail) exit 1 ;;
    disable) : > "$dir/disabled"; exit 0 ;;
    timeout) sleep 3; exit 0 ;;
    *) kill -TERM "$(cat "$dir/pid")"; sleep 0.5; exit 1 ;;
esac
"#;

/// The execute hook: records each transition; leaving DISABLED is its job.
const HOOK: &str = r#"#!/bin/sh
echo "$STATE $1" >> "$2/states"
if [ "$STATE" = DISABLED ]; then rm -f "$2/disabled"; fi
"#;

/// What one healthcheck printed and ran.
#[derive(Debug)]
struct Run {
    stdout: String,
    states: String,
    stderr: String,
    code: Option<i32>,
}

/// Longest a scenario may run before its healthcheck is killed (by PID) and the test fails.
const LIMIT: Duration = Duration::from_secs(60);

fn wait_bounded(child: &mut Child) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Some(-1);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Prepares `dir` (script, check, hook, answers) and starts one healthcheck in it.
fn start(
    program: &[&str],
    dir: &Path,
    script: &[&str],
    options: &[String],
    answers: bool,
) -> Child {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("run directory");
    fs::write(dir.join("check.sh"), CHECK).expect("check");
    fs::write(dir.join("hook.sh"), HOOK).expect("hook");
    fs::write(dir.join("script"), script.join("\n") + "\n").expect("script");
    let stdin = if answers {
        fs::write(dir.join("answers"), "done\n".repeat(10_000)).expect("answers");
        Stdio::from(fs::File::open(dir.join("answers")).expect("answers"))
    } else {
        Stdio::null()
    };
    let d = dir.display();
    let mut command = Command::new(program[0]);
    command
        .args(&program[1..])
        .args([
            "--no-syslog",
            "--no-ip-setup",
            "--interval",
            "0.02",
            "--fast-interval",
            "0.02",
            "--pid",
        ])
        .arg(dir.join("pid"))
        .arg("--cmd")
        .arg(format!("sh {d}/check.sh {d}"))
        .args(options.iter().map(|o| o.replace("DIR", &d.to_string())))
        .current_dir(dir)
        .stdin(stdin)
        .stdout(fs::File::create(dir.join("stdout")).expect("stdout"))
        .stderr(fs::File::create(dir.join("stderr")).expect("stderr"));
    command.spawn().expect("start the healthcheck")
}

fn finish(dir: &Path, child: &mut Child) -> Run {
    let code = wait_bounded(child);
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap_or_default();
    Run {
        stdout: read("stdout"),
        states: read("states"),
        stderr: read("stderr"),
        code,
    }
}

/// Runs both healthchecks on `script` with `options` (`DIR` stands for the run directory)
/// and compares what they printed; returns rexa's lines.
fn compare(name: &str, script: &[&str], options: &[&str], answers: bool) -> Option<String> {
    let exabgp = exabgp()?;
    let exabgp = exabgp.to_str().expect("UTF-8 path").to_owned();
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("healthcheck")
        .join(name);
    let options: Vec<String> = options.iter().map(|o| (*o).to_owned()).collect();
    let ours_dir = base.join("rexa");
    let theirs_dir = base.join("exabgp");
    let mut ours = start(
        &[env!("CARGO_BIN_EXE_rexa"), "healthcheck"],
        &ours_dir,
        script,
        &options,
        answers,
    );
    let mut theirs = start(
        &[&exabgp, "healthcheck"],
        &theirs_dir,
        script,
        &options,
        answers,
    );
    let ours = finish(&ours_dir, &mut ours);
    let theirs = finish(&theirs_dir, &mut theirs);
    let context = format!(
        "\n--- rexa (exit {:?}) stderr:\n{}\n--- exabgp (exit {:?}) stderr:\n{}",
        ours.code, ours.stderr, theirs.code, theirs.stderr
    );
    assert!(!theirs.stdout.is_empty(), "ExaBGP printed nothing{context}");
    assert_eq!(
        ours.stdout, theirs.stdout,
        "{name}: rexa's lines (left) differ from ExaBGP's (right){context}"
    );
    assert_eq!(
        ours.states, theirs.states,
        "{name}: the execute hooks differ{context}"
    );
    assert_eq!(ours.code, Some(0), "{name}: rexa's exit{context}");
    assert_eq!(theirs.code, Some(0), "{name}: ExaBGP's exit{context}");
    Some(ours.stdout)
}

#[test]
fn default_rise_and_fall_with_every_attribute_and_a_disable_file() {
    let script = [
        "ok", "ok", "ok", "ok", "fail", "fail", "ok", "fail", "fail", "fail", "fail", "disable",
        "ok", "fail", "ok", "ok", "ok", "ok",
    ];
    let options = [
        "--ip",
        "192.0.2.10/32",
        "--ip",
        "192.0.2.11/32",
        "--community",
        "65000:1",
        "--disabled-community",
        "65000:666",
        "--large-community",
        "65000:1:1",
        "--extended-community",
        "target:65000:1",
        "--as-path",
        "65000",
        "--down-as-path",
        "65000 65000",
        "--local-preference",
        "200",
        "--increase",
        "5",
        "--neighbor",
        "127.0.0.2",
        "--neighbor",
        "2001:db8::2",
        "--path-id",
        "3",
        "--disable",
        "DIR/disabled",
        "--execute",
        "sh DIR/hook.sh all DIR",
        "--up-execute",
        "sh DIR/hook.sh up DIR",
        "--disabled-execute",
        "sh DIR/hook.sh disabled DIR",
    ];
    let Some(lines) = compare("defaults", &script, &options, true) else {
        return;
    };
    // The scenario went through every state that prints.
    for needle in ["med 100 ", "med 1000 ", "med 500 ", "withdraw route"] {
        assert!(lines.contains(needle), "no `{needle}` in:\n{lines}");
    }
}

#[test]
fn withdraw_on_down_debounced_over_deaggregated_networks_with_a_timeout() {
    let script = [
        "ok", "ok", "fail", "timeout", "ok", "disable", "ok", "ok", "fail", "fail",
    ];
    let options = [
        "--ip",
        "10.0.0.0/30",
        "--ip",
        "2001:db8::7",
        "--deaggregate-networks",
        "--start-ip",
        "2",
        "--withdraw-on-down",
        "--rise",
        "1",
        "--fall",
        "1",
        "--debounce",
        "--next-hop",
        "192.0.2.1",
        "--up-metric",
        "10",
        "--down-metric",
        "20",
        "--disabled-metric",
        "30",
        "--timeout",
        "1",
        "--disable",
        "DIR/disabled",
        "--up-execute",
        "sh DIR/hook.sh up DIR",
        "--down-execute",
        "sh DIR/hook.sh down DIR",
        "--disabled-execute",
        "sh DIR/hook.sh disabled DIR",
    ];
    compare("withdraw-on-down", &script, &options, true);
}

#[test]
fn interval_zero_stops_after_the_first_settled_state_and_keeps_the_routes() {
    let script = ["fail", "ok", "ok", "ok"];
    let options = [
        "--ip",
        "192.0.2.20/32",
        "--rise",
        "2",
        "--interval",
        "0",
        "--no-ack",
        "--up-as-path",
        "65001",
    ];
    let Some(lines) = compare("interval-zero", &script, &options, false) else {
        return;
    };
    assert_eq!(
        lines,
        "neighbor * announce route 192.0.2.20/32 next-hop self med 100 as-path [ 65001 ]\n"
    );
}

#[test]
fn options_from_a_config_file_with_the_command_line_after_them() {
    let script = ["ok", "fail", "fail", "ok", "ok"];
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("healthcheck");
    fs::create_dir_all(&base).expect("base");
    let file = base.join("options.conf");
    fs::write(
        &file,
        "# options as ExaBGP's documentation shows them\nname = web\nrise = 1\nfall = 1\n\
         ip = 192.0.2.30/32\nup-metric = 1\n",
    )
    .expect("options file");
    let file = file.display().to_string();
    let options = [
        "--config",
        &file,
        "--fall",
        "2",
        "--ip",
        "192.0.2.31/32",
        "--execute",
        "sh DIR/hook.sh any DIR",
    ];
    compare("config-file", &script, &options, true);
}
