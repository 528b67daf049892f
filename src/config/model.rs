//! The typed, validated configuration handed to the reactor: neighbors, processes, routes.
//! Values carry their byte-level facts (numbers, addresses, 8-byte communities), not text.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::bgp::family::{Afi, Family, Safi};
use crate::rib::{load_configured, AdjRibOut, LoadReport, RouteContext};

use super::error::{Location, Warning};
use crate::bgp::flow::FlowNlri;
use crate::bgp::mup::{MupNlri, MupRoute};
use crate::bgp::mvpn::{MvpnNlri, MvpnRoute};
use crate::bgp::nlri::Nlri;
use crate::bgp::sr_policy::SrPolicyNlri;
use crate::bgp::vpls::VplsNlri;
pub use crate::rib::configured::{
    ConfiguredRoute, FastHash, FastHasher, NextHop, Refusal, RouteAttributes, RouteControl,
};

/// Everything one configuration file says.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (as given).
    pub file: String,
    pub processes: Vec<Process>,
    /// Neighbors after template inheritance and all checks.
    pub neighbors: Vec<Neighbor>,
    /// Accepted-but-reported input; the caller logs these.
    pub warnings: Vec<Warning>,
}

impl Config {
    pub fn process(&self, name: &str) -> Option<&Process> {
        self.processes.iter().find(|p| p.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoder {
    Text,
    Json,
}

impl fmt::Display for Encoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoder::Text => "text",
            Encoder::Json => "json",
        })
    }
}

/// A helper program (`process NAME { run ...; encoder ...; }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub name: String,
    /// Program then arguments, as written (not resolved: the program need not exist yet).
    pub run: Vec<String>,
    /// `None` when the block does not say (ExaBGP 5 requires it; rexa defaults to text).
    pub encoder: Option<Encoder>,
    pub respawn: bool,
    pub location: Location,
}

impl Process {
    pub fn encoder(&self) -> Encoder {
        self.encoder.unwrap_or(Encoder::Text)
    }

    /// Finds the program to run (config.md §11.1): an absolute path as is; otherwise the
    /// last existing executable among `/etc/exabgp/<prog>`, `<config dir>/<prog>` and each
    /// `$PATH` entry. Setuid/setgid programs are refused. `None` when nothing fits.
    pub fn resolve_program(&self, config_file: &Path) -> Option<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let program = Path::new(self.run.first()?);
        let usable = |p: &Path| {
            std::fs::metadata(p).is_ok_and(|m| {
                let mode = m.permissions().mode();
                m.is_file() && mode & 0o111 != 0 && mode & 0o6000 == 0
            })
        };
        if program.is_absolute() {
            return usable(program).then(|| program.to_path_buf());
        }
        let mut candidates = vec![Path::new("/etc/exabgp").join(program)];
        if let Some(dir) = config_file.parent() {
            candidates.push(dir.join(program));
        }
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path).map(|d| d.join(program)));
        }
        candidates.into_iter().rev().find(|c| usable(c))
    }
}

/// An AS number setting that may be `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsnSetting {
    Asn(u32),
    /// `auto`: the peer's AS (local-as) or whatever the peer sends (peer-as).
    Auto,
}

impl fmt::Display for AsnSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsnSetting::Asn(n) => write!(f, "{n}"),
            AsnSetting::Auto => f.write_str("auto"),
        }
    }
}

/// `capability add-path` direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddPathMode {
    #[default]
    Disabled,
    Receive,
    Send,
    SendReceive,
}

impl AddPathMode {
    pub fn name(self) -> &'static str {
        match self {
            AddPathMode::Disabled => "disable",
            AddPathMode::Receive => "receive",
            AddPathMode::Send => "send",
            AddPathMode::SendReceive => "send/receive",
        }
    }
}

/// The `capability { }` block after defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub asn4: bool,
    pub route_refresh: bool,
    /// `Some(seconds)` when graceful restart is on; 0 was replaced by the hold-time.
    pub graceful_restart: Option<u32>,
    pub add_path: AddPathMode,
    pub multi_session: bool,
    pub operational: bool,
    pub aigp: bool,
    pub extended_message: bool,
    /// Extended next-hop (RFC 8950): on when set, or when a `nexthop` block exists.
    pub nexthop: bool,
    pub software_version: bool,
    pub link_local_nexthop: Option<bool>,
    pub link_local_prefer: bool,
}

/// `add-path { afi safi [limit N]; }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddPathFamily {
    pub family: Family,
    /// PATHS-LIMIT (draft), 1..65535.
    pub limit: Option<u16>,
}

/// `nexthop { afi safi nexthop-afi; }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextHopFamily {
    pub family: Family,
    pub nexthop_afi: Afi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpAoAlgorithm {
    HmacSha1_96,
    Aes128Cmac96,
    HmacSha256,
}

impl TcpAoAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            TcpAoAlgorithm::HmacSha1_96 => "hmac-sha-1-96",
            TcpAoAlgorithm::Aes128Cmac96 => "aes-128-cmac-96",
            TcpAoAlgorithm::HmacSha256 => "hmac-sha-256",
        }
    }
}

/// `tcp-ao { }` (RFC 5925).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpAo {
    pub keyid: u8,
    pub algorithm: TcpAoAlgorithm,
    pub password: String,
    pub base64: bool,
}

/// Message switches of an api `send { }` or `receive { }` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageSelection {
    pub parsed: bool,
    pub packets: bool,
    pub consolidate: bool,
    pub open: bool,
    pub update: bool,
    pub notification: bool,
    pub keepalive: bool,
    pub refresh: bool,
    pub operational: bool,
}

/// Which processes are bound to an api block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessSelector {
    Names(Vec<String>),
    /// `processes-match [ regex ... ]`, resolved against the defined processes.
    Match {
        patterns: Vec<String>,
        matched: Vec<String>,
    },
}

/// One `api [NAME] { }` block of a neighbor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    pub name: Option<String>,
    pub processes: ProcessSelector,
    pub neighbor_changes: bool,
    pub negotiated: bool,
    pub fsm: bool,
    pub signal: bool,
    pub send: MessageSelection,
    pub receive: MessageSelection,
    /// Where the block starts.
    pub location: Location,
}

impl Api {
    /// The names of the processes this block feeds.
    pub fn process_names(&self) -> &[String] {
        match &self.processes {
            ProcessSelector::Names(names) => names,
            ProcessSelector::Match { matched, .. } => matched,
        }
    }
}

pub use crate::bgp::nlri::Prefix;

/// In 224.0.0.0/4 or ff00::/8 (a route of the multicast SAFI unless told otherwise).
pub fn is_multicast(prefix: &Prefix) -> bool {
    match prefix.addr() {
        IpAddr::V4(a) => prefix.len() >= 4 && a.is_multicast(),
        IpAddr::V6(a) => prefix.len() >= 8 && a.is_multicast(),
    }
}

/// A configured route's NLRI as the parser builds it: the wire value, its family, and
/// why it cannot be sent when it cannot (kept so that the refusal is reported at load).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedNlri {
    pub nlri: Nlri,
    pub family: Family,
    pub refused: Option<Refusal>,
}

/// What the refused routes carry in place of an NLRI (never sent).
const REFUSED_NLRI: Nlri = Nlri::Prefix {
    path_id: None,
    prefix: Prefix::DEFAULT_V4,
};

impl ParsedNlri {
    /// Unicast, multicast, labeled or VPN prefix (path id, prefix; labels and RD in
    /// `bgp`'s shared body).
    pub fn prefix(family: Family, nlri: Nlri) -> ParsedNlri {
        ParsedNlri {
            nlri,
            family,
            refused: None,
        }
    }

    /// A FlowSpec route, inline; refused when longer than the adj-rib-out keeps.
    pub fn flow(flow: &FlowNlri) -> ParsedNlri {
        let family = flow.family();
        match flow.inline() {
            Some(inline) => ParsedNlri::prefix(family, Nlri::flow(inline)),
            None => ParsedNlri::refused(family, Refusal::FlowTooLong),
        }
    }

    /// A VPLS route, keyed apart from others of the same NLRI by its configuration line.
    pub fn vpls(route: VplsNlri, config_line: u32) -> ParsedNlri {
        let nlri = Nlri::Vpls {
            path_id: None,
            route,
            config_line,
        };
        ParsedNlri::prefix(Family::L2VPN_VPLS, nlri)
    }

    /// A MUP route (ISD, DSD, type 1 or type 2 session transformed).
    pub fn mup(afi: Afi, route: &MupRoute) -> ParsedNlri {
        let family = Family::new(afi, Safi::MUP);
        match MupNlri::build(afi == Afi::IPV6, route) {
            Some(route) => ParsedNlri::prefix(family, Nlri::mup(None, route)),
            None => ParsedNlri::refused(family, Refusal::Unsupported),
        }
    }

    /// An MVPN route (source-AD, shared or source tree join).
    pub fn mvpn(afi: Afi, route: &MvpnRoute) -> ParsedNlri {
        let family = Family::new(afi, Safi::MCAST_VPN);
        match MvpnNlri::build(afi == Afi::IPV6, route) {
            Some(route) => ParsedNlri::prefix(family, Nlri::mvpn(None, route)),
            None => ParsedNlri::refused(family, Refusal::Unsupported),
        }
    }

    /// An SR Policy; its tunnel data is the route's Tunnel Encapsulation attribute.
    /// Not `sendable` when a segment rexa does not send (types C to K) left it without one.
    pub fn sr_policy(afi: Afi, route: SrPolicyNlri, sendable: bool) -> ParsedNlri {
        ParsedNlri {
            nlri: Nlri::SrPolicy {
                path_id: None,
                route,
            },
            family: Family::new(afi, Safi::SR_POLICY),
            refused: (!sendable).then_some(Refusal::Unsupported),
        }
    }

    fn refused(family: Family, refusal: Refusal) -> ParsedNlri {
        ParsedNlri {
            nlri: REFUSED_NLRI,
            family,
            refused: Some(refusal),
        }
    }
}

/// The route of `parsed` (refused when its NLRI could not be built).
pub fn configured_route(
    parsed: ParsedNlri,
    attributes: RouteAttributes,
    mut control: RouteControl,
    location: Location,
) -> ConfiguredRoute {
    control.refused = parsed.refused;
    ConfiguredRoute::new(parsed.nlri, parsed.family, attributes, control, location)
}

/// A neighbor's routes in file order, kept in fixed-size chunks: the list never holds
/// spare room for more than one chunk, and a consumer that takes it by value (the daemon
/// loading it into the adj-rib-out) gives the memory back chunk by chunk as it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteList {
    chunks: Vec<Vec<ConfiguredRoute>>,
    len: usize,
}

impl RouteList {
    /// Routes per chunk.
    const CHUNK: usize = 4096;

    pub fn new() -> RouteList {
        RouteList::default()
    }

    pub fn push(&mut self, route: ConfiguredRoute) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(route),
            _ => {
                // Grown by doubling, so a short list stays small; CHUNK is a power of two,
                // so a full chunk has no spare room.
                self.chunks.push(vec![route]);
            }
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, index: usize) -> Option<&ConfiguredRoute> {
        self.chunks
            .get(index / Self::CHUNK)
            .and_then(|c| c.get(index % Self::CHUNK))
    }

    pub fn iter(&self) -> impl Iterator<Item = &ConfiguredRoute> + '_ {
        self.chunks.iter().flatten()
    }
}

impl std::ops::Index<usize> for RouteList {
    type Output = ConfiguredRoute;

    fn index(&self, index: usize) -> &ConfiguredRoute {
        match self.get(index) {
            Some(route) => route,
            None => panic!("route {index} of a list of {}", self.len),
        }
    }
}

impl Extend<ConfiguredRoute> for RouteList {
    fn extend<I: IntoIterator<Item = ConfiguredRoute>>(&mut self, routes: I) {
        for route in routes {
            self.push(route);
        }
    }
}

impl FromIterator<ConfiguredRoute> for RouteList {
    fn from_iter<I: IntoIterator<Item = ConfiguredRoute>>(routes: I) -> RouteList {
        let mut list = RouteList::new();
        list.extend(routes);
        list
    }
}

impl<'a> IntoIterator for &'a RouteList {
    type Item = &'a ConfiguredRoute;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<ConfiguredRoute>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flatten()
    }
}

/// Yields the routes by value; each chunk is freed once its routes are taken.
impl IntoIterator for RouteList {
    type Item = ConfiguredRoute;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<ConfiguredRoute>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

/// Makes routes with equal attributes (and equal controls) share one copy, so a large
/// table costs its NLRI and two pointers per route.
#[derive(Debug, Default)]
pub struct RouteInterner {
    attributes: HashSet<Arc<RouteAttributes>, FastHash>,
    controls: HashSet<Arc<RouteControl>, FastHash>,
}

impl RouteInterner {
    pub fn intern(&mut self, route: &mut ConfiguredRoute) {
        route.attributes = share(&mut self.attributes, &route.attributes);
        route.control = share(&mut self.controls, &route.control);
    }
}

fn share<T: Eq + std::hash::Hash>(set: &mut HashSet<Arc<T>, FastHash>, value: &Arc<T>) -> Arc<T> {
    match set.get(&**value) {
        Some(shared) => shared.clone(),
        None => {
            set.insert(value.clone());
            value.clone()
        }
    }
}

/// Operational message kinds (draft-ietf-idr-operational-message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationalMessage {
    /// `asm` / `adm`: advisory text.
    Advisory {
        kind: &'static str,
        family: Family,
        text: String,
    },
    /// `rpcq` / `apcq` / `lpcq`: prefix count query.
    Query {
        kind: &'static str,
        family: Family,
        sequence: u32,
    },
    /// `rpcp` / `apcp` / `lpcp`: prefix count response.
    Response {
        kind: &'static str,
        family: Family,
        sequence: u32,
        counter: u64,
    },
}

/// A BGP peer after inheritance, defaults and checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbor {
    /// The peer address; with `peer_prefix_len` below the maximum, a range of accepted peers.
    pub peer_address: IpAddr,
    pub peer_prefix_len: u8,
    pub description: String,
    /// Explicit, or derived from an IPv4 local address (mandatory otherwise).
    pub router_id: Ipv4Addr,
    /// `None` = `auto` (learn from the socket).
    pub local_address: Option<IpAddr>,
    pub local_link_local: Option<Ipv6Addr>,
    pub local_as: AsnSetting,
    pub peer_as: AsnSetting,
    pub hold_time: u16,
    pub passive: bool,
    /// Per-neighbor listening port, 0 = none.
    pub listen: u16,
    /// Remote port to connect to, 0 = 179.
    pub connect: u16,
    pub source_interface: Option<String>,
    pub outgoing_ttl: Option<u8>,
    pub incoming_ttl: Option<u8>,
    pub md5_password: Option<String>,
    /// `None` = `auto`.
    pub md5_base64: Option<bool>,
    pub md5_ip: Option<IpAddr>,
    pub tcp_ao: Option<TcpAo>,
    pub group_updates: bool,
    pub auto_flush: bool,
    pub adj_rib_in: bool,
    pub adj_rib_out: bool,
    pub manual_eor: bool,
    pub host_name: Option<String>,
    pub domain_name: Option<String>,
    /// Messages per second, 0 = unlimited.
    pub rate_limit: u32,
    /// Negotiated families (the explicit list, or all when no family block).
    pub families: Vec<Family>,
    /// True when the families came from defaults or `all`.
    pub families_all: bool,
    pub capabilities: Capabilities,
    pub add_path: Vec<AddPathFamily>,
    pub nexthop: Vec<NextHopFamily>,
    pub api: Vec<Api>,
    /// Static, announce, flow, l2vpn routes, in file order (template routes after).
    pub routes: RouteList,
    pub operational: Vec<OperationalMessage>,
    /// Templates applied, in order.
    pub inherited: Vec<String>,
    pub location: Location,
}

impl Neighbor {
    /// What loading this neighbor's routes needs to know of it (`next-hop self`).
    pub fn route_context(&self) -> RouteContext {
        RouteContext {
            local: self.local_address,
            transport: match self.peer_address {
                IpAddr::V4(_) => Afi::IPV4,
                IpAddr::V6(_) => Afi::IPV6,
            },
            router_id: self.router_id,
        }
    }

    /// Loads (or reloads) this neighbor's routes into its adj-rib-out, taking them out of
    /// the configuration: each chunk is freed once it is in the table, so the
    /// configuration and the table are never both whole in memory.
    pub fn load_routes_into(&mut self, rib: &mut AdjRibOut) -> LoadReport {
        let routes = std::mem::take(&mut self.routes);
        load_configured(&self.route_context(), routes, rib)
    }

    /// The `ip[/len]` written after `neighbor`.
    pub fn peer_text(&self) -> String {
        let max = if self.peer_address.is_ipv4() { 32 } else { 128 };
        if self.peer_prefix_len == max {
            self.peer_address.to_string()
        } else {
            format!("{}/{}", self.peer_address, self.peer_prefix_len)
        }
    }

    /// The TCP-MD5 key bytes: the password, base64-decoded when `md5-base64` is true
    /// (already checked at parse time; `auto` and false use the text as is).
    pub fn md5_key(&self) -> Option<Vec<u8>> {
        let password = self.md5_password.as_ref()?;
        if self.md5_base64 == Some(true) {
            super::neighbor::decode_base64(password)
        } else {
            Some(password.as_bytes().to_vec())
        }
    }

    /// Names of all processes bound to this neighbor, without repeats.
    pub fn process_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for api in &self.api {
            for name in api.process_names() {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        names
    }
}
