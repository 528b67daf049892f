//! The negotiated session context: the one value every decoder and encoder takes.
//! Built from the two OPENs once a session is up, or from defaults for `rexa decode`.

use super::capability::{AddPathMode, Capability, MultiSession};
use super::family::{Afi, Family};
use super::message::MessageError;
use super::open::Open;

/// What both sides agreed on. Decoders read the `receive` side, encoders the `send` side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Both sides announced the 4-octet AS capability: AS numbers in AS_PATH and
    /// AGGREGATOR are 4 bytes, and AS4_PATH / AS4_AGGREGATOR are not used.
    pub asn4: bool,
    /// Families both sides announced (multiprotocol capability).
    pub families: Vec<Family>,
    /// Families whose received NLRI carry an ADD-PATH path identifier.
    pub addpath_receive: Vec<Family>,
    /// Families whose sent NLRI carry an ADD-PATH path identifier.
    pub addpath_send: Vec<Family>,
    /// (NLRI family, next-hop AFI) pairs agreed by the extended next-hop capability (RFC 8950).
    pub extended_nexthop: Vec<(Family, Afi)>,
    /// Largest message either side may send: 4096, or 65535 with RFC 8654 extended messages.
    pub max_message_size: usize,
}

/// The standard limit of RFC 4271.
pub const STANDARD_MAX_MESSAGE: usize = 4096;
/// The limit once RFC 8654 extended messages are negotiated.
pub const EXTENDED_MAX_MESSAGE: usize = 65535;

impl Default for Negotiated {
    /// What ExaBGP's decoder assumes: 4-octet AS, no ADD-PATH, standard message size.
    fn default() -> Self {
        Negotiated {
            asn4: true,
            families: Vec::new(),
            addpath_receive: Vec::new(),
            addpath_send: Vec::new(),
            extended_nexthop: Vec::new(),
            max_message_size: STANDARD_MAX_MESSAGE,
        }
    }
}

impl Negotiated {
    pub fn addpath_receive(&self, family: Family) -> bool {
        self.addpath_receive.contains(&family)
    }

    pub fn addpath_send(&self, family: Family) -> bool {
        self.addpath_send.contains(&family)
    }

    pub fn extended_nexthop(&self, family: Family, nexthop_afi: Afi) -> bool {
        self.extended_nexthop.contains(&(family, nexthop_afi))
    }
}

impl Negotiated {
    /// What two OPENs agree on (RFC 4760, 6793, 7911, 8654, 8950): 4-octet AS if both
    /// sent capability 65; families in both multiprotocol lists (a side without any
    /// announces IPv4 unicast only, RFC 4760 §8), in the peer's order as ExaBGP lists
    /// them; ADD-PATH receive where we receive and they send (send: the reverse); the
    /// extended next-hop entries both sent; 65535-byte messages if both sent capability 6.
    pub fn from_opens(local: &Open, remote: &Open) -> Negotiated {
        let local_families = effective_families(local);
        let families: Vec<Family> = effective_families(remote)
            .into_iter()
            .filter(|family| local_families.contains(family))
            .collect();

        let local_paths = addpath_modes(local);
        let remote_paths = addpath_modes(remote);
        let mut addpath_receive = Vec::new();
        let mut addpath_send = Vec::new();
        let mode = |list: &[(Family, AddPathMode)], family: Family| {
            list.iter()
                .find(|(f, _)| *f == family)
                .map_or(AddPathMode::DISABLED, |(_, mode)| *mode)
        };
        let union = local_paths
            .iter()
            .chain(remote_paths.iter())
            .map(|(family, _)| *family);
        for family in union {
            let ours = mode(&local_paths, family);
            let theirs = mode(&remote_paths, family);
            if ours.receive() && theirs.send() && !addpath_receive.contains(&family) {
                addpath_receive.push(family);
            }
            if ours.send() && theirs.receive() && !addpath_send.contains(&family) {
                addpath_send.push(family);
            }
        }

        let local_nexthop = nexthop_entries(local);
        let extended_nexthop = nexthop_entries(remote)
            .into_iter()
            .filter(|entry| local_nexthop.contains(entry))
            .collect();

        let both = |code| local.has_capability(code) && remote.has_capability(code);
        Negotiated {
            asn4: both(super::capability::code::FOUR_OCTET_AS),
            families,
            addpath_receive,
            addpath_send,
            extended_nexthop,
            max_message_size: if both(super::capability::code::EXTENDED_MESSAGE) {
                EXTENDED_MAX_MESSAGE
            } else {
                STANDARD_MAX_MESSAGE
            },
        }
    }
}

/// Route refresh as negotiated: ExaBGP's `refresh` key in the negotiated event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshMode {
    Absent,
    Normal,
    Enhanced,
}

impl RefreshMode {
    pub fn name(self) -> &'static str {
        match self {
            RefreshMode::Absent => "absent",
            RefreshMode::Normal => "normal",
            RefreshMode::Enhanced => "enhanced",
        }
    }
}

/// Everything the peer FSM learns from the OPEN exchange (reactor.md §5), beside the
/// codec context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiation {
    pub negotiated: Negotiated,
    /// min(ours, theirs); 0 means no keepalives and no hold timer.
    pub hold_time: u16,
    /// Our AS: capability 65 of our OPEN, else its 2-byte field.
    pub local_as: u32,
    /// The peer's real AS: capability 65 of its OPEN, else its 2-byte field.
    pub peer_as: u32,
    pub refresh: RefreshMode,
    /// Both sent multisession (68 or 131).
    pub multisession: bool,
    /// Both sent ExaBGP's operational capability: OPERATIONAL may be sent.
    pub operational: bool,
    /// Both sent link-local next-hop (77).
    pub link_local_nexthop: bool,
    /// We announced graceful restart (ExaBGP then closes without a NOTIFICATION).
    pub graceful_restart_sent: bool,
    /// Families only we announced (ExaBGP logs them as a warning).
    pub families_local_only: Vec<Family>,
    /// Families only the peer announced.
    pub families_peer_only: Vec<Family>,
    /// A multisession or BGP role inconsistency, to send as NOTIFICATION.
    pub error: Option<MessageError>,
}

impl Negotiation {
    pub fn new(local: &Open, remote: &Open) -> Negotiation {
        use super::capability::code;
        let both = |c| local.has_capability(c) && remote.has_capability(c);
        let refresh = if both(code::ENHANCED_ROUTE_REFRESH) {
            RefreshMode::Enhanced
        } else if both(code::ROUTE_REFRESH) {
            // As ExaBGP: Cisco's code 128 alone does not count.
            RefreshMode::Normal
        } else {
            RefreshMode::Absent
        };
        let local_families = local.families();
        let remote_families = remote.families();
        let (multisession, multisession_error) = multisession(local, remote);
        Negotiation {
            negotiated: Negotiated::from_opens(local, remote),
            hold_time: local.hold_time.min(remote.hold_time),
            local_as: local.asn(),
            peer_as: remote.asn(),
            refresh,
            multisession,
            operational: both(code::OPERATIONAL),
            link_local_nexthop: both(code::LINK_LOCAL_NEXTHOP),
            graceful_restart_sent: local.has_capability(code::GRACEFUL_RESTART),
            families_local_only: local_families
                .iter()
                .filter(|f| !remote_families.contains(f))
                .copied()
                .collect(),
            families_peer_only: remote_families
                .iter()
                .filter(|f| !local_families.contains(f))
                .copied()
                .collect(),
            error: multisession_error.or_else(|| role_mismatch(local, remote)),
        }
    }

    /// The inconsistency found, if any (2/8, 2/9 or 2/11).
    pub fn validate(&self) -> Result<(), MessageError> {
        match &self.error {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }
}

/// Multiprotocol families, or IPv4 unicast for an OPEN without any (RFC 4760 §8).
fn effective_families(open: &Open) -> Vec<Family> {
    let families = open.families();
    if families.is_empty() && !open.has_capability(super::capability::code::MULTIPROTOCOL) {
        return vec![Family::IPV4_UNICAST];
    }
    families
}

fn addpath_modes(open: &Open) -> Vec<(Family, AddPathMode)> {
    let mut modes = Vec::new();
    for capability in open.capabilities() {
        if let Capability::AddPath(entries) = capability {
            modes.extend_from_slice(entries);
        }
    }
    modes
}

fn nexthop_entries(open: &Open) -> Vec<(Family, Afi)> {
    let mut entries = Vec::new();
    for capability in open.capabilities() {
        if let Capability::ExtendedNextHop(list) = capability {
            entries.extend_from_slice(list);
        }
    }
    entries
}

fn multisession_capability(open: &Open, cisco: bool) -> Option<&MultiSession> {
    open.capabilities().find_map(|c| match c {
        Capability::MultiSession(ms) if ms.cisco == cisco => Some(ms),
        _ => None,
    })
}

/// ExaBGP's multisession rules: negotiated when both sent the same code; the session-id
/// capability sets must match (empty = multiprotocol) and so must those capabilities.
fn multisession(local: &Open, remote: &Open) -> (bool, Option<MessageError>) {
    let pair = |cisco| {
        Some((
            multisession_capability(local, cisco)?,
            multisession_capability(remote, cisco)?,
        ))
    };
    let Some((ours, theirs)) = pair(false).or_else(|| pair(true)) else {
        let required = multisession_capability(local, false).is_some()
            || multisession_capability(local, true).is_some();
        return (false, required.then_some(MessageError::GroupingRequired));
    };
    let ids = |ms: &MultiSession| {
        let mut codes: Vec<u8> = ms
            .codes
            .iter()
            .copied()
            .filter(|&c| {
                c != super::capability::code::MULTISESSION
                    && c != super::capability::code::MULTISESSION_CISCO
            })
            .collect();
        if codes.is_empty() {
            codes.push(super::capability::code::MULTIPROTOCOL);
        }
        codes.sort_unstable();
        codes.dedup();
        codes
    };
    let (our_ids, their_ids) = (ids(ours), ids(theirs));
    if our_ids != their_ids {
        return (true, Some(MessageError::GroupingConflict));
    }
    for code in our_ids {
        let of = |open: &Open| -> Vec<Capability> {
            open.capabilities()
                .filter(|c| c.code() == code)
                .cloned()
                .collect()
        };
        let (mine, yours) = (of(local), of(remote));
        let same = mine.len() == yours.len() && mine.iter().all(|c| yours.contains(c));
        if !same {
            return (true, Some(MessageError::GroupingConflict));
        }
    }
    (true, None)
}

/// RFC 9234 §4.2: when both sent a role, they must be a consistent pair.
fn role_mismatch(local: &Open, remote: &Open) -> Option<MessageError> {
    let role = |open: &Open| {
        open.capabilities().find_map(|c| match c {
            Capability::Role(role) => Some(*role),
            _ => None,
        })
    };
    let (ours, theirs) = (role(local)?, role(remote)?);
    (ours.expected_peer_role() != Some(theirs)).then_some(MessageError::RoleMismatch)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::bgp::capability::{code, Role};

    fn open(asn: u32, hold: u16, caps: Vec<Capability>) -> Open {
        Open::new(asn, hold, Ipv4Addr::new(1, 1, 1, 1), caps)
    }

    #[test]
    fn negotiates_families_addpath_nexthop_size() {
        let local = open(
            65000,
            180,
            vec![
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::Multiprotocol(Family::IPV6_UNICAST),
                Capability::FourOctetAs(65000),
                Capability::ExtendedMessage,
                Capability::AddPath(vec![
                    (Family::IPV4_UNICAST, AddPathMode::BOTH),
                    (Family::IPV6_UNICAST, AddPathMode::RECEIVE),
                ]),
                Capability::ExtendedNextHop(vec![(Family::IPV4_UNICAST, Afi::IPV6)]),
                Capability::RouteRefresh,
                Capability::EnhancedRouteRefresh,
            ],
        );
        let remote = open(
            4_200_000_000,
            90,
            vec![
                Capability::Multiprotocol(Family::IPV6_UNICAST),
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::Multiprotocol(Family::L2VPN_EVPN),
                Capability::FourOctetAs(4_200_000_000),
                Capability::AddPath(vec![
                    (Family::IPV4_UNICAST, AddPathMode::SEND),
                    (Family::IPV6_UNICAST, AddPathMode::BOTH),
                ]),
                Capability::ExtendedNextHop(vec![
                    (Family::IPV4_UNICAST, Afi::IPV6),
                    (Family::IPV4_MPLS_VPN, Afi::IPV6),
                ]),
                Capability::RouteRefresh,
            ],
        );
        let n = Negotiation::new(&local, &remote);
        let ctx = &n.negotiated;
        assert!(ctx.asn4);
        assert_eq!(
            ctx.families,
            vec![Family::IPV6_UNICAST, Family::IPV4_UNICAST]
        );
        assert_eq!(
            ctx.addpath_receive,
            vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]
        );
        assert_eq!(ctx.addpath_send, Vec::<Family>::new());
        assert!(ctx.extended_nexthop(Family::IPV4_UNICAST, Afi::IPV6));
        assert_eq!(ctx.extended_nexthop.len(), 1);
        assert_eq!(ctx.max_message_size, STANDARD_MAX_MESSAGE);
        assert_eq!(n.hold_time, 90);
        assert_eq!(n.peer_as, 4_200_000_000);
        assert_eq!(remote.my_as, crate::bgp::open::AS_TRANS);
        assert_eq!(n.local_as, 65000);
        assert_eq!(n.refresh, RefreshMode::Normal);
        assert_eq!(n.families_peer_only, vec![Family::L2VPN_EVPN]);
        assert!(n.families_local_only.is_empty());
        assert!(n.validate().is_ok());
    }

    #[test]
    fn defaults_without_capabilities() {
        let a = open(1, 0, vec![]);
        let b = open(2, 30, vec![Capability::ExtendedMessage]);
        let ctx = Negotiated::from_opens(&a, &b);
        assert!(!ctx.asn4);
        assert_eq!(ctx.families, vec![Family::IPV4_UNICAST]);
        assert_eq!(ctx.max_message_size, STANDARD_MAX_MESSAGE);
        let c = open(3, 30, vec![Capability::ExtendedMessage]);
        assert_eq!(
            Negotiated::from_opens(&c, &b).max_message_size,
            EXTENDED_MAX_MESSAGE
        );
        let n = Negotiation::new(&a, &b);
        assert_eq!(n.hold_time, 0);
        assert_eq!(n.refresh, RefreshMode::Absent);
        assert_eq!(n.peer_as, 2);
        // Only one side with MP: that side's list against IPv4 unicast.
        let v6 = open(4, 30, vec![Capability::Multiprotocol(Family::IPV6_UNICAST)]);
        assert!(Negotiated::from_opens(&v6, &a).families.is_empty());
    }

    #[test]
    fn multisession_and_roles() {
        let ms = |cisco| {
            Capability::MultiSession(MultiSession {
                cisco,
                flags: Some(0),
                codes: vec![code::MULTIPROTOCOL],
            })
        };
        let mp = Capability::Multiprotocol(Family::IPV4_UNICAST);
        let a = open(1, 90, vec![mp.clone(), ms(false), ms(true)]);
        let b = open(2, 90, vec![mp.clone(), ms(true)]);
        let n = Negotiation::new(&a, &b);
        assert!(n.multisession);
        assert!(n.validate().is_ok());
        let c = open(
            2,
            90,
            vec![Capability::Multiprotocol(Family::IPV6_UNICAST), ms(true)],
        );
        assert_eq!(
            Negotiation::new(&a, &c).validate(),
            Err(MessageError::GroupingConflict)
        );
        let d = open(2, 90, vec![mp.clone()]);
        assert_eq!(
            Negotiation::new(&a, &d).validate(),
            Err(MessageError::GroupingRequired)
        );
        let provider = open(1, 90, vec![Capability::Role(Role::PROVIDER)]);
        let customer = open(2, 90, vec![Capability::Role(Role::CUSTOMER)]);
        let peer = open(2, 90, vec![Capability::Role(Role::PEER)]);
        assert!(Negotiation::new(&provider, &customer).validate().is_ok());
        assert_eq!(
            Negotiation::new(&provider, &peer).validate(),
            Err(MessageError::RoleMismatch)
        );
    }
}
