//! `announce` / `withdraw` lines (api.md §5): routes of every family, flow, vpls, the
//! `attributes ... nlri` form, EOR, route-refresh, operational; and the route fast path.

use std::net::IpAddr;
use std::sync::Arc;

use super::{
    joined, no_more, quote, unknown, word, Action, Command, CommandError, MAX_BULK_BYTES,
    MAX_COMMAND_LEN,
};
use crate::bgp::family::{Afi, Family, Safi};
use crate::config::error::{ConfigError, ErrorKind, Location};
use crate::config::flow::{self, FlowDraft};
use crate::config::lexer::Token;
use crate::config::model::{configured_route, ConfiguredRoute, ParsedNlri};
use crate::config::neighbor::vpls_inline;
use crate::config::nlri;
use crate::config::route::{self, RouteDraft};
use crate::config::value::{self, Words};

/// The shape of the commonest helper lines, `announce route PREFIX REST` and `withdraw
/// route PREFIX REST` (single spaces, nothing before), split without allocating: the action,
/// the prefix text and the rest. [`parse`] gives two such lines with the same action, the
/// same rest and prefixes of the same address family the same route but for its prefix
/// (the prefix text holds only address characters: no quote, bracket or space to change
/// how the rest is read), which lets a caller parse a rest once and reuse it. `None` for
/// any other line (parse it).
pub fn split_route_line(line: &str) -> Option<(Action, &str, &str)> {
    if line.len() > MAX_COMMAND_LEN {
        return None;
    }
    let (action, rest) = if let Some(rest) = line.strip_prefix("announce route ") {
        (Action::Announce, rest)
    } else {
        (Action::Withdraw, line.strip_prefix("withdraw route ")?)
    };
    let (prefix, rest) = match rest.bytes().position(|b| b == b' ') {
        Some(at) => (rest.get(..at)?, rest.get(at + 1..)?),
        None => (rest, ""),
    };
    let address_text = |b: u8| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'/');
    (!prefix.is_empty() && prefix.bytes().all(address_text)).then_some((action, prefix, rest))
}

/// The prefix of a [`split_route_line`] line, read as [`parse`] reads it; `None` where
/// `parse` would refuse it (it then says why).
pub fn route_prefix(text: &str) -> Option<crate::config::model::Prefix> {
    let (addr_text, len_text) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr: IpAddr = addr_text.parse().ok()?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len_text {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max && l.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return None,
        },
    };
    (value::mask(addr, len) == addr)
        .then(|| crate::config::model::Prefix::new(addr, len))
        .flatten()
}

/// `announce|withdraw <what> ...`; `tokens` starts at `<what>`.
pub(super) fn change(
    action: Action,
    tokens: &[Token],
    file: &Arc<str>,
    end_col: u32,
) -> Result<Command, CommandError> {
    let rest = tokens.get(1..).unwrap_or(&[]);
    let words = || Words::new(file, rest, 1, end_col);
    let routes = |routes: Vec<ConfiguredRoute>| Ok(Command::Routes { action, routes });
    // `withdraw eor` and the like are not commands.
    let announce_only = || {
        if action == Action::Withdraw {
            Err(unknown(tokens))
        } else {
            Ok(())
        }
    };
    match word(tokens, 0) {
        Some("route") => routes(vec![prefix_route_line(action, &mut words(), None)?]),
        Some(afi @ ("ipv4" | "ipv6")) => {
            let afi = if afi == "ipv4" { Afi::IPV4 } else { Afi::IPV6 };
            routes(vec![family_route(action, afi, rest, file, end_col)?])
        }
        Some("attribute" | "attributes") => routes(bulk_routes(&mut words())?),
        Some("flow") => {
            if word(rest, 0) != Some("route") {
                return Err(CommandError::MissingWord {
                    command: "flow",
                    expected: "`route`",
                });
            }
            let flow_words = rest.get(1..).unwrap_or(&[]);
            routes(vec![flow_route(flow_words, None, file, end_col)?])
        }
        Some("vpls") => {
            let mut w = words();
            let location = location_of(&w, rest.first());
            // ExaBGP 5.0.15 takes a VPLS route without next-hop, announce or withdraw.
            routes(vec![vpls_inline(&mut w, false, location)?])
        }
        Some("watchdog") => {
            let name = rest.first().map(|t| t.text.to_string());
            no_more(rest, 1, "watchdog")?;
            Ok(Command::Watchdog { action, name })
        }
        Some("eor") => {
            announce_only()?;
            let family = match rest.len() {
                0 => Family::IPV4_UNICAST,
                2 => family_words(rest, "announce eor")?,
                _ => {
                    return Err(CommandError::InvalidWord {
                        command: "announce eor",
                        found: joined(rest),
                        expected: "nothing or <afi> <safi>",
                    })
                }
            };
            Ok(Command::EndOfRib { family })
        }
        Some("route-refresh") => {
            announce_only()?;
            if rest.len() != 2 {
                return Err(CommandError::InvalidWord {
                    command: "announce route-refresh",
                    found: joined(rest),
                    expected: "<afi> <safi>",
                });
            }
            Ok(Command::RouteRefresh {
                family: family_words(rest, "announce route-refresh")?,
            })
        }
        Some("operational") => {
            announce_only()?;
            operational(&mut words())
        }
        _ => Err(unknown(tokens)),
    }
}

fn family_words(tokens: &[Token], command: &'static str) -> Result<Family, CommandError> {
    let afi = word(tokens, 0).unwrap_or("");
    let safi = word(tokens, 1).unwrap_or("");
    Family::from_names(afi, safi).ok_or_else(|| CommandError::InvalidWord {
        command,
        found: quote(&format!("{afi} {safi}")),
        expected: "an afi (ipv4, ipv6, l2vpn, bgp-ls) and a safi (unicast, flow, ...)",
    })
}

/// Route locations point at the route's first word in the normalised line.
fn location_of(w: &Words, first: Option<&Token>) -> Location {
    match first {
        Some(t) => w.at(t),
        None => w.here(),
    }
}

/// `<prefix> <attributes...>`; the SAFI comes from `safi` or from the attributes. An
/// announce needs a next-hop (ExaBGP 5.0.15 answers `error` without one).
fn prefix_route_line(
    action: Action,
    w: &mut Words,
    safi: Option<Safi>,
) -> Result<ConfiguredRoute, CommandError> {
    let t = w.value("route", "a prefix")?;
    let prefix = value::prefix(w, t, "route")?;
    let mut draft = RouteDraft::default();
    nlri::attributes_rest(w, "route", &mut draft)?;
    if action == Action::Announce && draft.attributes.next_hop.is_none() {
        return Err(CommandError::MissingWord {
            command: "announce route",
            expected: "a next-hop",
        });
    }
    Ok(draft.into_prefix_route(prefix, safi, w.at(t)))
}

/// `announce|withdraw ipv4|ipv6 <safi> ...` (5.0+); `tokens` starts at `<safi>`.
fn family_route(
    action: Action,
    afi: Afi,
    tokens: &[Token],
    file: &Arc<str>,
    end_col: u32,
) -> Result<ConfiguredRoute, CommandError> {
    const COMMAND: &str = "announce ipv4|ipv6";
    const EXPECTED: &str =
        "unicast, multicast, nlri-mpls, mpls-vpn, flow, flow-vpn, mcast-vpn, mup or sr-policy";
    let rest = tokens.get(1..).unwrap_or(&[]);
    let mut w = Words::new(file, rest, 1, end_col);
    match word(tokens, 0) {
        // As in ExaBGP 5.0.15, the prefix's own address family wins over the command's
        // (`announce ipv4 unicast 2001:db8::/32 ...` is an IPv6 route).
        Some(safi @ ("unicast" | "multicast" | "nlri-mpls" | "labeled-unicast" | "mpls-vpn")) => {
            prefix_route_line(action, &mut w, Safi::from_name(safi))
        }
        Some(safi @ ("flow" | "flow-vpn")) => {
            let route = flow_route(rest, Some(afi), file, end_col)?;
            if safi == "flow-vpn" && route.family().safi != Safi::FLOW_VPN {
                return Err(CommandError::MissingWord {
                    command: "flow-vpn",
                    expected: "rd (a flow-vpn route needs a route distinguisher)",
                });
            }
            Ok(route)
        }
        Some("mcast-vpn") => {
            let location = location_of(&w, rest.first());
            let mvpn = nlri::mvpn(&mut w, afi)?;
            let mut draft = RouteDraft::default();
            nlri::attributes_rest(&mut w, "mcast-vpn", &mut draft)?;
            Ok(configured_route(
                ParsedNlri::mvpn(afi, &mvpn),
                draft.attributes,
                draft.control,
                location,
            ))
        }
        Some("mup") => {
            let location = location_of(&w, rest.first());
            let mup = nlri::mup(&mut w, afi)?;
            let mut draft = RouteDraft::default();
            nlri::attributes_rest(&mut w, "mup", &mut draft)?;
            Ok(configured_route(
                ParsedNlri::mup(afi, &mup),
                draft.attributes,
                draft.control,
                location,
            ))
        }
        // 6.0 (config.md: 5.0.15 rejects the family); the configuration parser knows it.
        Some("sr-policy") => {
            let location = location_of(&w, rest.first());
            let mut draft = RouteDraft::default();
            let nlri = nlri::sr_policy(&mut w, Some(afi), &mut draft)?;
            Ok(configured_route(
                nlri,
                draft.attributes,
                draft.control,
                location,
            ))
        }
        Some(other) if Safi::from_name(other).is_some() => Err(CommandError::Unsupported {
            command: COMMAND,
            found: format!("{other} routes have no API form"),
        }),
        Some(other) => Err(CommandError::InvalidWord {
            command: COMMAND,
            found: quote(other),
            expected: EXPECTED,
        }),
        None => Err(CommandError::MissingWord {
            command: COMMAND,
            expected: EXPECTED,
        }),
    }
}

/// `attribute(s) <attributes...> nlri <prefix> [<prefix>...]`: the configuration's
/// statement ([`route::attributes_nlri`]), after a bound on what it may expand to.
fn bulk_routes(w: &mut Words) -> Result<Vec<ConfiguredRoute>, CommandError> {
    let rest = w.tokens.get(w.index..).unwrap_or(&[]);
    if let Some(at) = rest.iter().position(|t| t.text == "nlri") {
        let attribute_text: usize = rest[..at].iter().map(|t| t.text.len() + 1).sum();
        let prefixes = rest.len() - at - 1;
        // Bound the product of the attributes and the prefixes, not just the line.
        let per_route = std::mem::size_of::<ConfiguredRoute>() + 4 * attribute_text;
        if prefixes.saturating_mul(per_route) > MAX_BULK_BYTES {
            return Err(CommandError::TooManyRoutes { prefixes });
        }
    }
    Ok(route::attributes_nlri(w, quote)?)
}

/// A FlowSpec route, inline (`destination 10.0.0.0/8 discard`) or braced
/// (`{ match { ... } then { ... } }`, optionally named): the braces, `;` and the
/// `match`/`then`/`scope` section names are dropped and the rest read as the inline form.
fn flow_route(
    tokens: &[Token],
    afi: Option<Afi>,
    file: &Arc<str>,
    end_col: u32,
) -> Result<ConfiguredRoute, CommandError> {
    let mut flow = FlowDraft::default();
    let mut body = tokens;
    if let (Some(name), Some(brace)) = (tokens.first(), tokens.get(1)) {
        if !name.quoted && brace.is_punct("{") && !matches!(&*name.text, "match" | "then" | "scope")
        {
            flow.name = Some(name.text.to_string());
            body = tokens.get(1..).unwrap_or(&[]);
        }
    }
    let mut kept: Vec<Token> = Vec::with_capacity(body.len());
    for (i, t) in body.iter().enumerate() {
        if t.is_punct("{") || t.is_punct("}") || t.is_punct(";") {
            continue;
        }
        let section = matches!(&*t.text, "match" | "then" | "scope") && !t.quoted;
        if section && body.get(i + 1).is_some_and(|n| n.is_punct("{")) {
            continue;
        }
        kept.push(t.clone());
    }
    let mut w = Words::new(file, &kept, 1, end_col);
    let location = location_of(&w, tokens.first());
    let mut draft = RouteDraft::default();
    let mut warnings = Vec::new();
    flow::inline(&mut w, &mut flow, &mut draft, &mut warnings)?;
    if let Some(afi) = afi {
        if flow.afi.is_some_and(|a| a != afi) {
            return Err(CommandError::InvalidWord {
                command: "flow",
                found: "a prefix of the other address family".into(),
                expected: "prefixes of the command's address family",
            });
        }
        flow.afi = Some(afi);
    }
    let nlri = flow.finish(&mut draft).map_err(|error| {
        CommandError::ConfiguredRoute(ConfigError::new(
            location.clone(),
            ErrorKind::InvalidFlow { error },
        ))
    })?;
    Ok(configured_route(
        ParsedNlri::flow(&nlri),
        draft.attributes,
        draft.control,
        location,
    ))
}

/// `operational <type> afi <afi> safi <safi> ...`; unknown types are accepted and ignored.
fn operational(w: &mut Words) -> Result<Command, CommandError> {
    const KNOWN: &[&str] = &["asm", "adm", "rpcq", "apcq", "lpcq", "rpcp", "apcp", "lpcp"];
    match w.peek_text() {
        None => Err(CommandError::MissingWord {
            command: "announce operational",
            expected: "a message type (asm, adm, rpcq, apcq, lpcq, rpcp, apcp, lpcp)",
        }),
        Some(kind) if !KNOWN.contains(&kind) => Ok(Command::Operational { message: None }),
        Some(_) => Ok(Command::Operational {
            message: nlri::operational(w)?,
        }),
    }
}
