//! `rexa validate --dump` shows what was understood: inheritance, routes with all their
//! attributes, flow routes; and `rexa validate` exits 0/1 with `file:line:col` errors.

use std::path::PathBuf;
use std::process::Command;

fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rexa-config-dump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp config");
    path
}

fn validate(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rexa"))
        .arg("validate")
        .args(args)
        .output()
        .expect("run rexa");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const INHERIT: &str = r#"
process watcher {
    run ./watch.py;
    encoder json;
}
template {
    neighbor base {
        local-as 65000;
        hold-time 90;
        family { ipv4 unicast; }
        api { processes [ watcher ]; receive { parsed; update; } }
        static { route 10.9.0.0/16 next-hop self; }
    }
}
neighbor 192.0.2.1 {
    inherit base;
    router-id 192.0.2.2;
    local-address 192.0.2.2;
    peer-as 65001;
    hold-time 30;
    family { ipv6 unicast; ipv4 mpls-vpn; }
    static {
        route 10.0.0.0/24 next-hop 192.0.2.254 origin egp as-path [ 65000 65002 ( 65100 65101 ) ] med 5 local-preference 300 community [ 65000:1 no-export ] large-community [ 1:2:3 ] extended-community [ target:65000:7 ] originator-id 1.1.1.1 cluster-list [ 2.2.2.2 ] aggregator ( 65000:3.3.3.3 ) atomic-aggregate label 100 rd 65000:1 path-information 9 split /25 name web watchdog w1 withdraw;
    }
}
"#;

#[test]
fn dump_shows_inheritance_and_attributes() {
    let path = write_temp("inherit.conf", INHERIT);
    let path = path.to_str().expect("utf-8 path");
    let (code, out, err) = validate(&["--dump", path]);
    assert_eq!(code, 0, "{err}");
    // The template's scalar wins (ExaBGP's merge rule), reported as a warning.
    assert!(out.contains("    hold-time 90;"), "{out}");
    assert!(
        err.contains("replaces this neighbor's \"hold-time\""),
        "{err}"
    );
    assert!(out.contains("    inherited [ base ];"));
    assert!(out.contains("    local-as 65000;\n    peer-as 65001;"));
    assert!(
        out.contains("family { ipv6 unicast; ipv4 mpls-vpn; ipv4 unicast; }"),
        "{out}"
    );
    assert!(out.contains("api { processes [ watcher ]; neighbor-changes false; negotiated false; fsm false; signal false; send { } receive { parsed; update; } }"), "{out}");
    assert!(out.contains(
        "route ipv4 mpls-vpn 10.0.0.0/24 rd 65000:1 (0x0000fde800000001) label [ 100 ] path-information 9 \
         next-hop 192.0.2.254 origin egp as-path [ 65000 65002 ] ( 65100 65101 ) med 5 local-preference 300 \
         atomic-aggregate aggregator ( 65000:3.3.3.3 ) community [ 65000:1 65535:65281 ] large-community [ 1:2:3 ] \
         extended-community [ target:65000:7=0x0002fde800000007 ] originator-id 1.1.1.1 cluster-list [ 2.2.2.2 ] \
         name web split /25 watchdog w1 withdraw;"
    ), "{out}");
    // Template routes come after the neighbor's own.
    let own = out.find("10.0.0.0/24").expect("own route");
    let inherited = out
        .find("route ipv4 unicast 10.9.0.0/16 next-hop self;")
        .expect("template route");
    assert!(own < inherited);
}

#[test]
fn dump_shows_flow_routes() {
    let path = write_temp(
        "flow.conf",
        "neighbor 10.0.0.1 {\n local-address 10.0.0.2;\n local-as 1;\n peer-as 1;\n family { ipv4 flow; ipv4 flow-vpn; }\n flow {\n  route f1 { rd 1:1; match { destination 10.1.0.0/16; destination-port [ >=1024&<=2048 =80 ]; tcp-flags [ syn&!ack ]; } then { rate-limit 1000 packets; redirect 65000:10; } }\n  route source 10.2.0.0/16 protocol udp discard;\n }\n}\n",
    );
    let (code, out, err) = validate(&["--dump", path.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0, "{err}");
    // Rendered from the route's bgp values: ExaBGP's keywords and values for the
    // components, the actions as the extended communities they are sent as (sorted).
    assert!(out.contains(
        "route ipv4 flow-vpn rd 1:1 match { destination-ipv4 10.1.0.0/16; destination-port [ >=1024&<=2048 =80 ]; tcp-flags [ syn&!ack ]; } \
         extended-community [ redirect:65000:10=0x8008fde80000000a rate-limit:1000:packets=0x800c0000447a0000 ] name f1;"
    ), "{out}");
    assert!(out.contains("route ipv4 flow match { source-ipv4 10.2.0.0/16; protocol [ =udp ]; } extended-community [ rate-limit:0=0x8006000000000000 ];"), "{out}");
}

/// The routes whose NLRI and attributes `config` holds as `bgp` values (MUP, MVPN, VPLS,
/// Prefix-SID, AS path) dump back to the configuration syntax.
#[test]
fn dump_renders_bgp_typed_routes_in_configuration_syntax() {
    let path = write_temp(
        "typed.conf",
        "neighbor 10.0.0.1 {\n local-address 10.0.0.2;\n local-as 1;\n peer-as 1;\n \
         family { ipv4 mup; ipv4 mcast-vpn; l2vpn vpls; ipv4 nlri-mpls; ipv4 unicast; }\n \
         announce {\n  ipv4 {\n   \
         mup mup-t2st 10.0.0.1 rd 100:100 teid 12345/23 next-hop 10.0.0.2;\n   \
         mup mup-t1st 192.168.0.2/32 rd 100:100 teid 1 qfi 9 endpoint 10.0.0.1 source 10.0.1.1 next-hop 10.0.0.2;\n   \
         mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 2001::1 bgp-prefix-sid-srv6 ( l3-service 2001:db8:1:1:: 0x48 [64,24,16,0,0,0] );\n   \
         mcast-vpn source-join source 10.99.12.2 group 239.251.255.228 rd 65000:99999 source-as 65000 next-hop 10.10.6.3;\n  \
         }\n }\n \
         l2vpn {\n  vpls site1 {\n   endpoint 5;\n   base 10702;\n   offset 1;\n   size 8;\n   \
         rd 192.168.201.1:123;\n   next-hop 192.168.201.1;\n  }\n }\n \
         static {\n  \
         route 198.51.100.101/32 label 800002 next-hop 198.51.100.2 bgp-prefix-sid [ 300, [ ( 800000,4096 ), ( 1000000,5000 ) ] ];\n  \
         route 10.0.0.0/24 next-hop 1.1.1.1 as-path [ 1 2 ( 3 4 ) ];\n \
         }\n}\n",
    );
    let (code, out, err) = validate(&["--dump", path.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0, "{err}");
    for line in [
        "route ipv4 mup mup-t2st 10.0.0.1 rd 100:100 teid 12345/23 next-hop 10.0.0.2;",
        "route ipv4 mup mup-t1st 192.168.0.2/32 rd 100:100 teid 1 qfi 9 endpoint 10.0.0.1 source 10.0.1.1 next-hop 10.0.0.2;",
        "route ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 2001::1 bgp-prefix-sid-srv6 ( l3-service 2001:db8:1:1:: 0x48 [64,24,16,0,0,0] );",
        "route ipv4 mcast-vpn source-join source 10.99.12.2 group 239.251.255.228 rd 65000:99999 source-as 65000 next-hop 10.10.6.3;",
        "route l2vpn vpls vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123 next-hop 192.168.201.1",
        "route ipv4 nlri-mpls 198.51.100.101/32 label [ 800002 ] next-hop 198.51.100.2 bgp-prefix-sid [ 300, [ ( 800000,4096 ), ( 1000000,5000 ) ] ];",
        "route ipv4 unicast 10.0.0.0/24 next-hop 1.1.1.1 as-path [ 1 2 ] ( 3 4 );",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
}

#[test]
fn errors_exit_one_with_location() {
    let path = write_temp(
        "bad.conf",
        "neighbor 10.0.0.1 {\n    local-as 1;\n    peer-as 1;\n    hold-tme 3;\n}\n",
    );
    let path = path.to_str().expect("utf-8 path");
    let (code, out, err) = validate(&[path]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains(&format!("{path}:4:5: found unknown keyword \"hold-tme\" in neighbor, did you mean \"hold-time\"?")), "{err}");
    let (code, _, err) = validate(&["/nonexistent/rexa.conf"]);
    assert_eq!(code, 1);
    assert!(err.contains("can not read the file"), "{err}");
}

#[test]
fn test_flag_spelling_and_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_rexa"))
        .args(["--test", "--help"])
        .output()
        .expect("run rexa");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--dump"));
}

#[test]
fn env_command_prints_environment_overrides() {
    let out = Command::new(env!("CARGO_BIN_EXE_rexa"))
        .args(["env", "--diff", "--env"])
        .env("exabgp_tcp_port", "1790")
        .env("exabgp.tcp.bind", "127.0.0.1 127.0.0.2")
        .env_remove("EXABGP_ENVFILE")
        .output()
        .expect("run rexa");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("exabgp.tcp.bind='127.0.0.1 127.0.0.2'\nexabgp.tcp.port=1790\n"),
        "{text}"
    );
}

#[test]
fn env_file_is_read_and_variables_win() {
    let path = write_temp(
        "exabgp.env",
        "[exabgp.tcp]\nport = 1000\n\n[exabgp.log]\nlevel = DEBUG\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_rexa"))
        .args(["env", "--diff", "--env-file"])
        .arg(&path)
        .env("exabgp.tcp.port", "2000")
        .output()
        .expect("run rexa");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text,
        "\n[exabgp.log]\nlevel = DEBUG\n\n[exabgp.tcp]\nport = 2000\n"
    );
    let missing = Command::new(env!("CARGO_BIN_EXE_rexa"))
        .args(["env"])
        .env("EXABGP_ENVFILE", "/nonexistent/exabgp.env")
        .output()
        .expect("run rexa");
    assert!(
        missing.status.success(),
        "a missing EXABGP_ENVFILE is not an error"
    );
}
