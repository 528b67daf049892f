//! Malformed configurations: one per kind of mistake, each rejected with the exact
//! `file:line:col` and the right kind of message (and a "did you mean" where a typo is likely).

use rexa::config::{self, ErrorKind};

/// A valid neighbor with `snippet` as its sixth line (indented by four spaces).
fn neighbor(snippet: &str) -> String {
    format!(
        "neighbor 127.0.0.1 {{\n    router-id 1.2.3.4;\n    local-address 127.0.0.1;\n    local-as 1;\n    peer-as 1;\n    {snippet}\n}}\n"
    )
}

struct Case {
    name: &'static str,
    text: String,
    /// Expected line, and a text whose first occurrence on that line gives the column.
    line: u32,
    at: &'static str,
    kind: fn(&ErrorKind) -> bool,
}

macro_rules! case {
    ($name:expr, $text:expr, $line:expr, $at:expr, $pat:pat) => {
        Case {
            name: $name,
            text: $text,
            line: $line,
            at: $at,
            kind: |k| matches!(k, $pat),
        }
    };
}

fn suggestion(kind: &ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::UnknownKeyword { suggestion, .. } => *suggestion,
        _ => None,
    }
}

fn cases() -> Vec<Case> {
    let twice = format!("{}{}", neighbor(""), neighbor(""));
    vec![
        case!("keyword typo", neighbor("hold-tim 90;"), 6, "hold-tim", ErrorKind::UnknownKeyword { suggestion: Some("hold-time"), .. }),
        case!("keyword case", neighbor("Router-id 1.2.3.4;"), 6, "Router-id", ErrorKind::UnknownKeyword { suggestion: Some("router-id"), .. }),
        case!("hold-time 1 or 2", neighbor("hold-time 2;"), 6, "2", ErrorKind::HoldTime { found: 2 }),
        case!("hold-time too large", neighbor("hold-time 70000;"), 6, "70000", ErrorKind::OutOfRange { max: 65535, .. }),
        case!("router-id not IPv4", neighbor("router-id 2001::1;"), 6, "2001::1", ErrorKind::InvalidValue { .. }),
        case!("boolean", neighbor("passive maybe;"), 6, "maybe", ErrorKind::InvalidValue { .. }),
        case!("asn too large", neighbor("local-as 4294967296;"), 6, "4294967296", ErrorKind::OutOfRange { .. }),
        case!("asdot part too large", neighbor("peer-as 1.65536;"), 6, "1.65536", ErrorKind::InvalidValue { .. }),
        case!("trailing word", neighbor("local-as 1 2;"), 6, "2", ErrorKind::TrailingValue { .. }),
        case!("ttl too large", neighbor("outgoing-ttl 256;"), 6, "256", ErrorKind::OutOfRange { max: 255, .. }),
        case!("missing router-id", "neighbor 127.0.0.1 {\n    local-as 1;\n    peer-as 1;\n}\n".into(), 1, "neighbor", ErrorKind::Incomplete { .. }),
        case!("vpls without next-hop", neighbor("l2vpn { vpls endpoint 1 base 2 offset 3 size 4 rd 1:1; }"), 6, "vpls", ErrorKind::Incomplete { .. }),
        case!("missing peer-as", "neighbor 127.0.0.1 {\n    router-id 1.2.3.4;\n    local-as 1;\n}\n".into(), 1, "neighbor", ErrorKind::Incomplete { .. }),
        case!("unterminated statement", neighbor("hold-time 90"), 6, "hold-time", ErrorKind::UnterminatedStatement { .. }),
        case!("comment inside a statement", neighbor("hold-time 90 # x"), 6, "hold-time", ErrorKind::UnterminatedStatement { .. }),
        case!("unterminated quote", neighbor("description \"abc;"), 6, "\"", ErrorKind::UnterminatedQuote),
        case!("bad unicode escape", neighbor("description \"\\u12\";"), 6, "\\", ErrorKind::InvalidEscape { .. }),
        case!("unclosed block", "neighbor 127.0.0.1 {\n    local-as 1;\n".into(), 1, "neighbor", ErrorKind::UnclosedBlock { .. }),
        case!("empty file", "# nothing\n\n".into(), 1, "#", ErrorKind::Empty),
        case!("unknown top-level block", "peer x {\n}\n".into(), 1, "peer", ErrorKind::UnknownKeyword { .. }),
        case!("3.x group block", "group x {\n}\n".into(), 1, "group", ErrorKind::MisplacedKeyword { .. }),
        case!("capability at neighbor level", neighbor("multi-session;"), 6, "multi-session", ErrorKind::MisplacedKeyword { .. }),
        case!("3.x ttl-security", neighbor("ttl-security 255;"), 6, "ttl-security", ErrorKind::MisplacedKeyword { .. }),
        case!("3.x process in neighbor", neighbor("process foo;"), 6, "process", ErrorKind::MisplacedKeyword { .. }),
        case!("family minimal", neighbor("family { minimal; }"), 6, "minimal", ErrorKind::MisplacedKeyword { .. }),
        case!("leaf written as block", neighbor("hold-time { }"), 6, "hold-time", ErrorKind::WrongStatementKind { .. }),
        case!("block written as leaf", neighbor("family;"), 6, "family", ErrorKind::WrongStatementKind { .. }),
        case!("duplicate family", neighbor("family { ipv4 unicast; ipv4 unicast; }"), 6, "ipv4 unicast; }", ErrorKind::DuplicateFamily { .. }),
        case!("invalid afi/safi pair", neighbor("family { ipv4 foo; }"), 6, "foo", ErrorKind::InvalidFamily { .. }),
        case!("family after all", neighbor("family { all; ipv4 unicast; }"), 6, "ipv4", ErrorKind::FamilyAfterAll),
        case!("afi typo", neighbor("family { ipv5 unicast; }"), 6, "ipv5", ErrorKind::UnknownKeyword { suggestion: Some("ipv4"), .. }),
        case!("capability typo", neighbor("capability { asn5; }"), 6, "asn5", ErrorKind::UnknownKeyword { suggestion: Some("asn4"), .. }),
        case!("add-path direction", neighbor("capability { add-path receive/send; }"), 6, "receive/send", ErrorKind::InvalidValue { .. }),
        case!("prefix length", neighbor("static { route 10.0.0.0/33 next-hop 1.1.1.1; }"), 6, "10.0.0.0/33", ErrorKind::InvalidValue { .. }),
        case!("host bits set", neighbor("static { route 10.0.0.1/24 next-hop 1.1.1.1; }"), 6, "10.0.0.1/24", ErrorKind::HostBitsSet { .. }),
        case!("missing next-hop", neighbor("static { route 10.0.0.0/24 med 1; }"), 6, "route", ErrorKind::IncompleteRoute { .. }),
        case!("attribute typo", neighbor("static { route 10.0.0.0/24 next-hpo 1.1.1.1; }"), 6, "next-hpo", ErrorKind::UnknownKeyword { suggestion: Some("next-hop"), .. }),
        case!("community part too large", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 community [ 65536:1 ]; }"), 6, "65536:1", ErrorKind::InvalidValue { .. }),
        case!("unknown extended community", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 extended-community soo:1:1; }"), 6, "soo:1:1", ErrorKind::InvalidValue { .. }),
        case!("extended community too large", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 extended-community target:65536:65536; }"), 6, "target:", ErrorKind::InvalidValue { .. }),
        case!("large community", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 large-community 1:2; }"), 6, "1:2", ErrorKind::InvalidValue { .. }),
        case!("origin", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 origin foo; }"), 6, "foo", ErrorKind::InvalidValue { .. }),
        case!("unclosed as-path", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 as-path [ 1 2; }"), 6, ";", ErrorKind::MissingValue { .. }),
        case!("aggregator without asn", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 aggregator 1.2.3.4; }"), 6, "1.2.3.4;", ErrorKind::InvalidValue { .. }),
        case!("label too large", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 label 1048576; }"), 6, "1048576", ErrorKind::OutOfRange { .. }),
        case!("route distinguisher", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 label 1 rd 4200000000:70000; }"), 6, "4200000000", ErrorKind::InvalidValue { .. }),
        case!("generic attribute", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 attribute [ 0x20 0xc0 0x123 ]; }"), 6, "0x123", ErrorKind::InvalidValue { .. }),
        case!("split without slash", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 split 26; }"), 6, "26", ErrorKind::InvalidValue { .. }),
        case!("reserved watchdog name", neighbor("static { route 10.0.0.0/24 next-hop 1.1.1.1 watchdog announce; }"), 6, "announce;", ErrorKind::InvalidValue { .. }),
        case!("route family not configured", neighbor("family { ipv4 unicast; } static { route 2001:db8::/32 next-hop 2001::1; }"), 6, "route", ErrorKind::RouteFamilyNotConfigured { .. }),
        case!("next-hop self of another family", neighbor("static { route 2001:db8::/32 next-hop self; }"), 6, "route", ErrorKind::NextHopSelfFamily { .. }),
        case!("local/peer address family", "neighbor 127.0.0.1 {\n    local-address ::1;\n    local-as 1;\n    peer-as 1;\n}\n".into(), 1, "neighbor", ErrorKind::AddressFamilyMismatch { .. }),
        case!("range without passive", "neighbor 10.0.0.0/24 {\n    router-id 1.2.3.4;\n    local-as 1;\n    peer-as 1;\n}\n".into(), 1, "neighbor", ErrorKind::RangeWithoutPassive { .. }),
        case!("duplicate neighbor", twice, 8, "neighbor", ErrorKind::DuplicateNeighbor { .. }),
        case!("undefined process", neighbor("api { processes [ nope ]; }"), 6, "api", ErrorKind::UndefinedProcess { .. }),
        case!("processes and processes-match", neighbor("api { processes [ a ]; processes-match [ b ]; }"), 6, "processes-match", ErrorKind::Conflict { .. }),
        case!("processes without brackets", neighbor("api { processes a; }"), 6, "a;", ErrorKind::InvalidValue { .. }),
        case!("api message typo", neighbor("api { receive { updates; } }"), 6, "updates", ErrorKind::UnknownKeyword { suggestion: Some("update"), .. }),
        case!("duplicate template", "template {\n    neighbor t { }\n    neighbor t { }\n}\n".into(), 3, "t {", ErrorKind::DuplicateName { .. }),
        case!("template name characters", "template {\n    neighbor a/b { }\n}\n".into(), 2, "a/b", ErrorKind::InvalidName { .. }),
        case!("duplicate process", "process p {\n    run x;\n}\nprocess p {\n    run y;\n}\n".into(), 4, "process", ErrorKind::DuplicateName { .. }),
        case!("process without run", "process p {\n    encoder json;\n}\n".into(), 1, "process", ErrorKind::Incomplete { .. }),
        case!("process encoder", "process p {\n    run x;\n    encoder xml;\n}\n".into(), 3, "xml", ErrorKind::InvalidValue { .. }),
        case!("md5 password too long", neighbor(&format!("md5-password {};", "x".repeat(81))), 1, "neighbor", ErrorKind::InvalidPassword { .. }),
        case!("md5 with tcp-ao", neighbor("md5-password a; tcp-ao { keyid 1; algorithm hmac-sha-256; password b; }"), 1, "neighbor", ErrorKind::Conflict { .. }),
        case!("incomplete tcp-ao", neighbor("tcp-ao { keyid 1; }"), 6, "tcp-ao", ErrorKind::Incomplete { .. }),
        case!("flow match typo", neighbor("flow { route r { match { sourse 10.0.0.0/8; } then { discard; } } }"), 6, "sourse", ErrorKind::UnknownKeyword { suggestion: Some("source"), .. }),
        case!("flow numeric operator", neighbor("flow { route r { match { destination-port >>80; } then { discard; } } }"), 6, ">>80", ErrorKind::InvalidValue { .. }),
        case!("flow mark range", neighbor("flow { route r { match { source 10.0.0.0/8; } then { mark 64; } } }"), 6, "64", ErrorKind::OutOfRange { .. }),
        case!("flow redirect IP:n", neighbor("flow { route r { match { source 10.0.0.0/8; } then { redirect 1.2.3.4:5; } } }"), 6, "1.2.3.4:5", ErrorKind::InvalidValue { .. }),
        case!("flow then typo", neighbor("flow { route r { match { source 10.0.0.0/8; } then { dicard; } } }"), 6, "dicard", ErrorKind::UnknownKeyword { suggestion: Some("discard"), .. }),
        case!("incomplete vpls", neighbor("l2vpn { vpls endpoint 1 base 2 rd 1:1 next-hop 1.1.1.1; }"), 6, "vpls", ErrorKind::Incomplete { .. }),
        case!("mup route type", neighbor("announce { ipv4 { mup mup-xyz 10.0.0.0/24 rd 1:1; } }"), 6, "mup-xyz", ErrorKind::InvalidValue { .. }),
        case!("port range", neighbor("connect 70000;"), 6, "70000", ErrorKind::OutOfRange { .. }),
    ]
}

#[test]
fn malformed_inputs_are_located_and_classified() {
    let cases = cases();
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for case in &cases {
        let file = format!("{}.conf", case.name.replace(' ', "-"));
        let line_text = case.text.lines().nth(case.line as usize - 1).unwrap_or("");
        let col = line_text
            .find(case.at)
            .map(|i| line_text[..i].chars().count() as u32 + 1);
        let expected = format!("{file}:{}:{}", case.line, col.unwrap_or(0));
        match config::parse(&case.text, &file) {
            Ok(_) => failures.push(format!("{}: accepted", case.name)),
            Err(e) => {
                println!("{e}");
                let got = e.location.to_string();
                if got != expected || !(case.kind)(&e.kind) {
                    failures.push(format!("{}: expected {expected}, got {e}", case.name));
                }
                let message = e.to_string();
                assert!(message.starts_with(&expected) || got != expected);
                assert!(
                    message.contains("found")
                        || message.contains("missing")
                        || message.contains("invalid"),
                    "{message}"
                );
            }
        }
    }
    println!("malformed inputs: {} cases", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn typo_suggestions_are_in_the_message() {
    let e = config::parse(&neighbor("hold-tim 90;"), "x.conf").unwrap_err();
    assert_eq!(suggestion(&e.kind), Some("hold-time"));
    assert_eq!(
        e.to_string(),
        "x.conf:6:5: found unknown keyword \"hold-tim\" in neighbor, did you mean \"hold-time\"?"
    );
}
