//! TCP-AO (RFC 5925) on the real binary. Where the kernel lacks TCP-AO (the development
//! and CI machines: CONFIG_TCP_AO unset) a `tcp-ao` neighbor is refused with an error naming
//! the kernel requirement, and the other neighbors run; where it has TCP-AO, two rexa with
//! matching keys establish and a wrong key does not (skipped loudly elsewhere).

mod support {
    pub mod interop;
}

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use rexa::sys::tcp_ao::{probe, AoError, AoKey};
use support::interop::{run_dir, wait_for, Rexa};

const LIMIT: Duration = Duration::from_secs(15);

fn kernel_has_tcp_ao() -> bool {
    let key = AoKey::new("hmac(sha1)", 1, b"probe").expect("a key");
    match probe("127.0.0.1".parse().expect("address"), &key) {
        Ok(()) => true,
        Err(AoError::Unsupported) => false,
        Err(other) => panic!("unexpected answer from the kernel: {other}"),
    }
}

fn neighbor(local: Ipv4Addr, peer: Ipv4Addr, port: u16, extra: &str) -> String {
    format!(
        "neighbor {peer} {{\n  router-id {local};\n  local-address {local};\n  local-as 65000;\n  \
         peer-as 65001;\n  connect {port};\n  family {{ ipv4 unicast; }}\n  {extra}\n}}\n"
    )
}

fn ao_block(password: &str) -> String {
    format!("tcp-ao {{ keyid 5; algorithm hmac-sha-1-96; password \"{password}\"; }}")
}

#[test]
fn without_kernel_support_a_tcp_ao_neighbor_is_refused_and_the_others_run() {
    if kernel_has_tcp_ao() {
        eprintln!("SKIPPED: this kernel has TCP-AO, so nothing is refused (see the test below)");
        return;
    }
    let dir = run_dir("tcp-ao-refused");
    let local = Ipv4Addr::new(127, 0, 11, 1);
    let (plain_peer, ao_peer) = (Ipv4Addr::new(127, 0, 11, 2), Ipv4Addr::new(127, 0, 11, 3));
    let plain = TcpListener::bind(SocketAddr::from((plain_peer, 0))).expect("bind");
    let ao = TcpListener::bind(SocketAddr::from((ao_peer, 0))).expect("bind");
    plain.set_nonblocking(true).expect("non-blocking");
    ao.set_nonblocking(true).expect("non-blocking");
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).unwrap_or(0);
    let config = neighbor(local, plain_peer, port(&plain), "")
        + &neighbor(local, ao_peer, port(&ao), &ao_block("secret"));
    let rexa = Rexa::start(&dir, &config, &[("exabgp_tcp_bind", "")]);
    // The other neighbor runs: its connection comes.
    let connected = wait_for(LIMIT, || plain.accept().ok());
    assert!(connected.is_some(), "{}", rexa.log());
    // The tcp-ao one was refused with the reason, and never connected unauthenticated.
    let log = rexa.log();
    assert!(
        log.contains(&format!(
            "neighbor {ao_peer}: tcp-ao: this kernel has no TCP-AO"
        )) && log.contains("CONFIG_TCP_AO")
            && log.contains("refusing to run this session unauthenticated"),
        "{log}"
    );
    assert!(
        ao.accept().is_err(),
        "the tcp-ao neighbor connected:\n{log}"
    );
}

#[test]
fn with_kernel_support_matching_keys_establish_and_a_wrong_key_does_not() {
    if !kernel_has_tcp_ao() {
        eprintln!(
            "SKIPPED: this kernel has no TCP-AO (CONFIG_TCP_AO unset); the authenticated \
             session test needs Linux 6.7+ with it"
        );
        return;
    }
    let dir = run_dir("tcp-ao-sessions");
    let (a, b, c) = (
        Ipv4Addr::new(127, 0, 11, 11),
        Ipv4Addr::new(127, 0, 11, 12),
        Ipv4Addr::new(127, 0, 11, 13),
    );
    let port = 17911;
    // b listens for a (right key) and c (wrong key); a and c connect.
    let passive = |peer: Ipv4Addr, local: Ipv4Addr, password: &str| {
        format!(
            "neighbor {peer} {{\n  router-id {local};\n  local-address {local};\n  local-as 65001;\n  \
             peer-as 65000;\n  passive;\n  listen {port};\n  family {{ ipv4 unicast; }}\n  {}\n}}\n",
            ao_block(password)
        )
    };
    let b_dir = dir.join("b");
    let a_dir = dir.join("a");
    let c_dir = dir.join("c");
    for d in [&a_dir, &b_dir, &c_dir] {
        std::fs::create_dir_all(d).expect("dir");
    }
    let rexa_b = Rexa::start(
        &b_dir,
        &(passive(a, b, "right") + &passive(c, b, "right")),
        &[("exabgp_tcp_bind", "")],
    );
    let rexa_a = Rexa::start(&a_dir, &neighbor(a, b, port, &ao_block("right")), &[]);
    let rexa_c = Rexa::start(&c_dir, &neighbor(c, b, port, &ao_block("wrong")), &[]);
    assert!(
        rexa_a.wait_log("session established", 1, LIMIT),
        "{}",
        rexa_a.log()
    );
    assert_eq!(rexa_c.count("session established"), 0, "{}", rexa_c.log());
    assert_eq!(rexa_b.count("session established"), 1, "{}", rexa_b.log());
}
