//! Every one-line prefix route of ExaBGP's configuration corpus, sent as the helper command
//! `announce route ...` / `announce <afi> <safi> ...`, must give the route the configuration gives.

mod support;

use rexa::api::command::{self, Action, Command};
use rexa::config::ParseOptions;

#[test]
fn configured_routes_read_the_same_as_commands() {
    let files = support::conformance::config_files();
    let mut compared = 0;
    let mut failures = Vec::new();
    for path in &files {
        let Ok(config) = rexa::config::load(path, &ParseOptions::default()) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        for neighbor in &config.neighbors {
            for route in &neighbor.routes {
                if !route.is_prefix()
                    || route.attributes.next_hop.is_none()
                    || route.location.file.as_ref() != path.display().to_string()
                {
                    continue;
                }
                let index = usize::try_from(route.location.line).unwrap_or(0);
                let Some(line) = lines.get(index.wrapping_sub(1)) else {
                    continue;
                };
                let statement = line.trim();
                // One-line statements only (no `{ }` block, no continuation).
                let Some(body) = statement.strip_suffix(';') else {
                    continue;
                };
                if body.contains(['{', '}', ';', '#', '\\']) {
                    continue;
                }
                let first = body.split(' ').next().unwrap_or("");
                let command_line = match first {
                    "route" => format!("announce {body}"),
                    // Inside `announce { ipv4 { ... } }`: the explicit-family command.
                    "unicast" | "multicast" | "nlri-mpls" | "labeled-unicast" | "mpls-vpn" => {
                        format!("announce {} {body}", route.family().afi)
                    }
                    _ => continue,
                };
                match command::parse(&command_line) {
                    Ok(parsed) => match parsed.command {
                        Command::Routes {
                            action: Action::Announce,
                            routes,
                        } if routes.len() == 1 => {
                            let api = &routes[0];
                            if api.nlri != route.nlri
                                || api.attributes != route.attributes
                                || api.control != route.control
                            {
                                failures
                                    .push(format!("{}: differs: {command_line}", route.location));
                            }
                            compared += 1;
                        }
                        other => failures.push(format!(
                            "{}: {command_line}: not one announced route: {other:?}",
                            route.location
                        )),
                    },
                    Err(error) => {
                        failures.push(format!("{}: {command_line}: {error}", route.location))
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared > 50, "only {compared} routes compared");
    eprintln!("{compared} configured routes compared with their command form");
}
