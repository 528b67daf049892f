//! The check loop driven by a scripted host: a fake clock (sleeps only add to it), check
//! results read from a list, and every line, hook and IP change recorded with its time.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::*;
use crate::healthcheck::options::{self, Request};

/// What one check returns, or a stop signal arriving while it runs.
#[derive(Debug, Clone, Copy)]
enum Check {
    Ok,
    Fail,
    Signal,
}

#[derive(Default)]
struct Scripted {
    clock: f64,
    checks: VecDeque<Check>,
    /// Whether the disable file exists, one entry per iteration (then: absent).
    disabled: VecDeque<bool>,
    /// A stop signal arrives during the sleep that would pass this time.
    signal_at: Option<f64>,
    events: Vec<String>,
}

impl Scripted {
    fn new(checks: &[Check]) -> Self {
        Scripted {
            checks: checks.iter().copied().collect(),
            ..Default::default()
        }
    }

    fn note(&mut self, what: String) {
        let at = self.clock;
        self.events.push(format!("{at:>4} {what}"));
    }
}

impl Host for Scripted {
    fn disabled(&mut self) -> bool {
        self.disabled.pop_front().unwrap_or(false)
    }

    fn check(&mut self) -> Result<bool, Stop> {
        match self.checks.pop_front() {
            Some(Check::Ok) => Ok(true),
            Some(Check::Fail) => Ok(false),
            Some(Check::Signal) | None => Err(Stop::Signal),
        }
    }

    fn execute(&mut self, state: State, commands: &[String]) -> Result<(), Stop> {
        for command in commands {
            self.note(format!("exec STATE={state} {command}"));
        }
        Ok(())
    }

    fn send(&mut self, line: &str) -> Result<(), Stop> {
        self.note(line.to_owned());
        Ok(())
    }

    fn sleep(&mut self, seconds: f64) -> Result<(), Stop> {
        let until = self.clock + seconds;
        if let Some(at) = self.signal_at.filter(|at| *at <= until) {
            self.clock = at;
            self.signal_at = None;
            return Err(Stop::Signal);
        }
        self.clock = until;
        Ok(())
    }

    fn setup_ips(&mut self) -> Result<(), Stop> {
        self.note("setup ips".into());
        Ok(())
    }

    fn remove_ips(&mut self) -> Result<(), Stop> {
        self.note("remove ips".into());
        Ok(())
    }
}

fn options(line: &str) -> Options {
    let args = shell_words(line);
    match options::parse(args.into_iter().map(Into::into).collect()) {
        Ok(Request::Run(o)) => *o,
        other => panic!("{line}: {other:?}"),
    }
}

/// Splits on spaces, keeping `'quoted words'` whole.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            _ => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

fn run_script(line: &str, host: &mut Scripted) -> Ending {
    let o = options(line);
    let ips = o.ips.clone();
    run(&o, &ips, host).expect("runs")
}

use Check::{Fail, Ok as Up};

#[test]
fn rise_and_fall_count_checks_in_a_row_and_pace_them() {
    let mut host = Scripted::new(&[Up, Up, Up, Up, Fail, Fail, Up, Fail, Fail, Fail]);
    let ending = run_script("--ip 192.0.2.10/32", &mut host);
    assert_eq!(ending, Ending::Exit);
    assert_eq!(
        host.events,
        [
            // INIT -> RISING at 0, fast checks at 1 and 2 (UP), then every 5 s.
            "   2 neighbor * announce route 192.0.2.10/32 next-hop self med 100",
            "   7 neighbor * announce route 192.0.2.10/32 next-hop self med 100",
            // 12: FALLING, 13: 2 failures, 14: success -> RISING, 15: FALLING again,
            // 16, 17: DOWN.
            "  17 neighbor * announce route 192.0.2.10/32 next-hop self med 1000",
            // The script ends: a stop signal during the check at 22.
            "  22 neighbor * withdraw route 192.0.2.10/32 next-hop self",
            // IP set-up is on by default, and undone on exit.
            "  22 remove ips",
        ]
    );
}

#[test]
fn rise_and_fall_of_one_go_straight_to_up_and_down() {
    let mut host = Scripted::new(&[Fail, Up, Fail]);
    run_script(
        "--ip 192.0.2.10/32 --rise 1 --fall 1 --interval 2 --execute 'echo x'",
        &mut host,
    );
    assert_eq!(
        host.events,
        [
            "   0 exec STATE=DOWN echo x",
            "   0 neighbor * announce route 192.0.2.10/32 next-hop self med 1000",
            "   2 exec STATE=UP echo x",
            "   2 neighbor * announce route 192.0.2.10/32 next-hop self med 100",
            "   4 exec STATE=DOWN echo x",
            "   4 neighbor * announce route 192.0.2.10/32 next-hop self med 1000",
            "   6 neighbor * withdraw route 192.0.2.10/32 next-hop self",
            "   6 remove ips",
        ]
    );
}

#[test]
fn debounce_sends_only_on_changes() {
    let mut host = Scripted::new(&[Up, Up, Up, Fail, Fail]);
    run_script(
        "--ip 192.0.2.10/32 --rise 1 --fall 2 --debounce --interval 1",
        &mut host,
    );
    assert_eq!(
        host.events,
        [
            "   0 neighbor * announce route 192.0.2.10/32 next-hop self med 100",
            "   4 neighbor * announce route 192.0.2.10/32 next-hop self med 1000",
            // Exit always withdraws, debounced or not.
            "   5 neighbor * withdraw route 192.0.2.10/32 next-hop self",
            "   5 remove ips",
        ]
    );
}

#[test]
fn a_disable_file_overrides_the_check_and_leaving_it_restarts_from_init() {
    let mut host = Scripted::new(&[Up, Up, Up]);
    host.disabled = [false, true, true, false].into_iter().collect();
    run_script(
        "--ip 192.0.2.10/32 --ip 192.0.2.11/32 --rise 1 --interval 1 --disable /x \
         --community 65000:1 --disabled-community 65000:666 --disabled-execute 'd' --execute 'e'",
        &mut host,
    );
    assert_eq!(
        host.events,
        [
            "   0 exec STATE=UP e",
            "   0 neighbor * announce route 192.0.2.10/32 next-hop self med 100 community [ 65000:1 ]",
            "   0 neighbor * announce route 192.0.2.11/32 next-hop self med 101 community [ 65000:1 ]",
            "   1 exec STATE=DISABLED d",
            "   1 exec STATE=DISABLED e",
            "   1 neighbor * announce route 192.0.2.10/32 next-hop self med 500 community [ 65000:666 ]",
            "   1 neighbor * announce route 192.0.2.11/32 next-hop self med 501 community [ 65000:666 ]",
            "   2 neighbor * announce route 192.0.2.10/32 next-hop self med 500 community [ 65000:666 ]",
            "   2 neighbor * announce route 192.0.2.11/32 next-hop self med 501 community [ 65000:666 ]",
            // The file is gone: INIT (nothing sent; the check's result is not used).
            "   3 exec STATE=INIT e",
            "   4 exec STATE=UP e",
            "   4 neighbor * announce route 192.0.2.10/32 next-hop self med 100 community [ 65000:1 ]",
            "   4 neighbor * announce route 192.0.2.11/32 next-hop self med 101 community [ 65000:1 ]",
            "   5 neighbor * withdraw route 192.0.2.10/32 next-hop self",
            "   5 neighbor * withdraw route 192.0.2.11/32 next-hop self",
            "   5 remove ips",
        ]
    );
}

#[test]
fn withdraw_on_down_withdraws_in_down_and_disabled() {
    let mut host = Scripted::new(&[Up, Fail, Up]);
    host.disabled = [false, false, false, true].into_iter().collect();
    run_script(
        "--ip 192.0.2.10/32 --rise 1 --fall 1 --interval 1 --withdraw-on-down --disable /x \
         --path-id 7 --next-hop 2001:db8::1",
        &mut host,
    );
    assert_eq!(
        host.events,
        [
            "   0 neighbor * announce route 192.0.2.10/32 next-hop 2001:db8::1 med 100 path-information 7",
            "   1 neighbor * withdraw route 192.0.2.10/32 next-hop 2001:db8::1 path-information 7",
            "   2 neighbor * announce route 192.0.2.10/32 next-hop 2001:db8::1 med 100 path-information 7",
            "   3 neighbor * withdraw route 192.0.2.10/32 next-hop 2001:db8::1 path-information 7",
            "   4 neighbor * withdraw route 192.0.2.10/32 next-hop 2001:db8::1 path-information 7",
            "   4 remove ips",
        ]
    );
}

#[test]
fn interval_zero_ends_after_the_first_settled_state_without_withdrawing() {
    let mut host = Scripted::new(&[Fail, Up, Up, Up]);
    let ending = run_script(
        "--ip 192.0.2.10/32 --interval 0 --fast-interval 0.5",
        &mut host,
    );
    assert_eq!(ending, Ending::End);
    assert_eq!(
        host.events,
        [" 1.5 neighbor * announce route 192.0.2.10/32 next-hop self med 100"]
    );
}

#[test]
fn a_signal_while_sleeping_withdraws_and_exits() {
    let mut host = Scripted::new(&[Up, Up, Up, Up]);
    host.signal_at = Some(3.5);
    let ending = run_script("--ip 192.0.2.10/32 --rise 1 --interval 3", &mut host);
    assert_eq!(ending, Ending::Exit);
    assert_eq!(
        host.events,
        [
            "   0 neighbor * announce route 192.0.2.10/32 next-hop self med 100",
            "   3 neighbor * announce route 192.0.2.10/32 next-hop self med 100",
            " 3.5 neighbor * withdraw route 192.0.2.10/32 next-hop self",
            " 3.5 remove ips",
        ]
    );
}

#[test]
fn dynamic_ip_setup_follows_the_state() {
    let mut host = Scripted::new(&[Up, Fail, Check::Signal]);
    run_script(
        "--ip 192.0.2.10/32 --rise 1 --fall 1 --interval 1 --dynamic-ip-setup --no-ip-setup",
        &mut host,
    );
    assert_eq!(
        host.events,
        [
            "   0 setup ips",
            "   0 neighbor * announce route 192.0.2.10/32 next-hop self med 100",
            "   1 neighbor * announce route 192.0.2.10/32 next-hop self med 1000",
            "   1 remove ips",
            "   2 neighbor * withdraw route 192.0.2.10/32 next-hop self",
            "   2 remove ips",
        ]
    );
}

#[test]
fn every_attribute_in_exabgps_order() {
    let o = options(
        "--ip 192.0.2.10/32 --ip 2001:db8::/127 --neighbor 127.0.0.2 --neighbor ::ffff:1.2.3.4 \
         --local-preference 0 --community '1:1 2:2' --extended-community target:1:1 \
         --large-community 1:2:3 --as-path '1 2' --down-as-path '' --up-metric 7 --increase 10 \
         --path-id 0",
    );
    let up = commands(&o, &o.ips, State::Up);
    assert_eq!(
        up,
        [
            "neighbor 127.0.0.2, neighbor ::ffff:102:304 announce route 192.0.2.10/32 next-hop self med 7 local-preference 0 community [ 1:1 2:2 ] extended-community [ target:1:1 ] large-community [ 1:2:3 ] as-path [ 1 2 ]",
            "neighbor 127.0.0.2, neighbor ::ffff:102:304 announce route 2001:db8::/127 next-hop self med 17 local-preference 0 community [ 1:1 2:2 ] extended-community [ target:1:1 ] large-community [ 1:2:3 ] as-path [ 1 2 ]",
        ]
    );
    // An empty state AS path replaces the generic one (and prints nothing).
    let down = commands(&o, &o.ips[..1], State::Down);
    assert_eq!(
        down,
        ["neighbor 127.0.0.2, neighbor ::ffff:102:304 announce route 192.0.2.10/32 next-hop self med 1000 local-preference 0 community [ 1:1 2:2 ] extended-community [ target:1:1 ] large-community [ 1:2:3 ]"]
    );
    // `*` among the neighbors means every neighbor.
    let all = options("--ip 192.0.2.10/32 --neighbor 127.0.0.2 --neighbor *");
    assert_eq!(
        commands(&all, &all.ips, State::Up),
        ["neighbor * announce route 192.0.2.10/32 next-hop self med 100"]
    );
    for quiet in [State::Init, State::Rising, State::Falling, State::End] {
        assert!(commands(&all, &all.ips, quiet).is_empty());
    }
    let _: IpAddr = "127.0.0.2".parse().expect("ip");
}

#[test]
fn the_machine_alone_follows_exabgps_table() {
    let mut m = Machine::new(2, 2);
    assert_eq!(m.advance(false, true), Some(State::Rising));
    assert_eq!(m.advance(false, false), Some(State::Falling));
    assert_eq!(m.advance(false, false), Some(State::Down));
    assert_eq!(m.advance(false, false), None);
    assert_eq!(m.advance(true, true), Some(State::Disabled));
    assert_eq!(m.advance(true, true), None);
    assert_eq!(m.advance(false, false), Some(State::Init));
    assert_eq!(m.advance(false, true), Some(State::Rising));
    assert_eq!(m.advance(false, true), Some(State::Up));
    assert_eq!(m.advance(false, true), None);
    assert_eq!(m.state(), State::Up);
}
