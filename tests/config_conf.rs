//! Every example configuration shipped in conf/ validates, and the systemd unit has
//! the settings the daemon relies on.

use std::path::PathBuf;

fn conf_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conf")
}

#[test]
fn every_example_validates() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(conf_dir()).expect("conf/ exists") {
        let path = entry.expect("readable conf/ entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("conf") {
            continue;
        }
        match rexa::config::load(&path, &rexa::config::ParseOptions::default()) {
            Ok(config) => {
                assert!(
                    config.warnings.is_empty(),
                    "{}: {:?}",
                    path.display(),
                    config.warnings
                );
                names.push(
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
            Err(e) => panic!("{e}"),
        }
    }
    names.sort();
    for wanted in [
        "anycast.conf",
        "demo.conf",
        "flowspec-blackhole.conf",
        "route-reflector-monitor.conf",
    ] {
        assert!(names.iter().any(|n| n == wanted), "conf/{wanted} missing");
    }
}

#[test]
fn demo_peers_with_itself() {
    let config =
        rexa::config::load(&conf_dir().join("demo.conf"), &Default::default()).expect("valid");
    assert_eq!(config.neighbors.len(), 2);
    let a = &config.neighbors[0];
    let b = &config.neighbors[1];
    assert_eq!(
        a.peer_address,
        b.local_address.expect("explicit local address")
    );
    assert_eq!(
        b.peer_address,
        a.local_address.expect("explicit local address")
    );
    assert!(!a.routes.is_empty() && !b.routes.is_empty());
    assert_eq!(a.connect, 1790);
}

#[test]
fn systemd_unit_is_hardened() {
    let unit = std::fs::read_to_string(conf_dir().join("rexa.service")).expect("conf/rexa.service");
    for line in [
        "Type=notify",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "Restart=on-failure",
        "ExecReload=/bin/kill -USR1 $MAINPID",
    ] {
        assert!(unit.lines().any(|l| l.trim() == line), "missing `{line}`");
    }
}

#[test]
fn health_check_is_rexa_healthcheck() {
    let path = conf_dir().join("anycast.conf");
    let config = rexa::config::load(&path, &Default::default()).expect("valid");
    let process = config.process("dns-health").expect("process defined");
    // The quoted check command stays one argument.
    assert_eq!(
        process
            .run
            .iter()
            .take(6)
            .map(String::as_str)
            .collect::<Vec<_>>(),
        [
            "rexa",
            "healthcheck",
            "--name",
            "dns",
            "--cmd",
            "bash -c '</dev/tcp/127.0.0.1/53'"
        ]
    );
    assert!(process.run.iter().any(|a| a == "--withdraw-on-down"));
    // The corpus names helper programs that do not exist: parsing accepted them, and
    // resolution simply finds nothing.
    let mut missing = process.clone();
    missing.run = vec!["./run/absent-helper.py".into()];
    assert_eq!(missing.resolve_program(&path), None);
}

#[test]
fn md5_key_bytes() {
    let text = "neighbor 10.0.0.1 { router-id 1.1.1.1; local-as 1; peer-as 2; md5-password \"aGVsbG8=\"; md5-base64 true; }\n\
                neighbor 10.0.0.3 { router-id 1.1.1.1; local-as 1; peer-as 2; md5-password \"aGVsbG8=\"; }";
    let config = rexa::config::parse(text, "md5.conf").expect("valid");
    assert_eq!(config.neighbors[0].md5_key(), Some(b"hello".to_vec()));
    assert_eq!(config.neighbors[1].md5_key(), Some(b"aGVsbG8=".to_vec()));
}
