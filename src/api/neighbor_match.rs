//! Neighbor selectors of helper commands (api.md §3.4): `neighbor <ip|*> [key value]... [, ...]`,
//! and the canonical neighbor description string they are matched against, word for word.

use std::fmt;

use crate::config::model::Neighbor;

/// The keys a selector may use, in the order ExaBGP's description lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorKey {
    Neighbor,
    LocalIp,
    LocalAs,
    PeerAs,
    RouterId,
    FamilyAllowed,
}

impl SelectorKey {
    pub const ALL: [SelectorKey; 6] = [
        SelectorKey::Neighbor,
        SelectorKey::LocalIp,
        SelectorKey::LocalAs,
        SelectorKey::PeerAs,
        SelectorKey::RouterId,
        SelectorKey::FamilyAllowed,
    ];

    /// The keyword as written in commands and descriptions.
    pub fn name(self) -> &'static str {
        match self {
            SelectorKey::Neighbor => "neighbor",
            SelectorKey::LocalIp => "local-ip",
            SelectorKey::LocalAs => "local-as",
            SelectorKey::PeerAs => "peer-as",
            SelectorKey::RouterId => "router-id",
            SelectorKey::FamilyAllowed => "family-allowed",
        }
    }

    pub fn from_name(word: &str) -> Option<SelectorKey> {
        SelectorKey::ALL.into_iter().find(|k| k.name() == word)
    }
}

/// One selector: `key value` pairs that must all appear in a neighbor's description.
/// Several selectors on one line (separated by `,`) are OR-ed by the caller
/// (see [`matches_any`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pairs: Vec<(SelectorKey, String)>,
}

impl Selector {
    pub fn new(pairs: Vec<(SelectorKey, String)>) -> Selector {
        Selector { pairs }
    }

    pub fn pairs(&self) -> &[(SelectorKey, String)] {
        &self.pairs
    }

    /// True when the selector contains `neighbor *` (ExaBGP then ignores its other pairs).
    pub fn is_wildcard(&self) -> bool {
        self.pairs
            .iter()
            .any(|(k, v)| *k == SelectorKey::Neighbor && v == "*")
    }

    /// The value given for `key`, if any (the first one).
    pub fn value(&self, key: SelectorKey) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// True when every `key value` pair occurs in `description` as whole words
    /// (ExaBGP's `(^|\s)key value($|\s|,)`), or when the selector is `neighbor *`.
    pub fn matches(&self, description: &str) -> bool {
        if self.is_wildcard() {
            return true;
        }
        self.pairs.iter().all(|(key, value)| {
            contains_pair(description, key.name(), value)
                // ExaBGP writes an automatic local address as `None`; accept the documented
                // spelling `auto` for it too.
                || (*key == SelectorKey::LocalIp
                    && value == "auto"
                    && contains_pair(description, key.name(), AUTO_LOCAL_IP))
        })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{} {}", key.name(), value)?;
        }
        Ok(())
    }
}

/// True when any selector matches (the `,`-separated selectors of one line are OR-ed).
pub fn matches_any(selectors: &[Selector], description: &str) -> bool {
    selectors.iter().any(|s| s.matches(description))
}

/// Does `description` contain `key value` preceded by the start or a whitespace, and followed
/// by the end, a whitespace or a comma? No allocation.
fn contains_pair(description: &str, key: &str, value: &str) -> bool {
    let needle_len = key.len() + 1 + value.len();
    let bytes = description.as_bytes();
    let mut from = 0;
    while let Some(found) = description.get(from..).and_then(|rest| rest.find(key)) {
        let start = from + found;
        from = start + 1;
        let before_ok = start == 0
            || description
                .get(..start)
                .and_then(|head| head.chars().next_back())
                .is_some_and(char::is_whitespace);
        if !before_ok {
            continue;
        }
        let after_key = start + key.len();
        if bytes.get(after_key) != Some(&b' ') {
            continue;
        }
        if description.get(after_key + 1..start + needle_len) != Some(value) {
            continue;
        }
        let end = start + needle_len;
        let after_ok = match description.get(end..).and_then(|rest| rest.chars().next()) {
            None => true,
            Some(c) => c.is_whitespace() || c == ',',
        };
        if after_ok {
            return true;
        }
    }
    false
}

/// What ExaBGP 5.0.15 writes after `local-ip` when the local address is automatic.
const AUTO_LOCAL_IP: &str = "None";

/// ExaBGP's canonical description of a configured neighbor, matched by selectors and shown
/// by `show adj-rib ... extensive`: `neighbor <peer-ip> local-ip <ip|None> local-as
/// <asn|auto> peer-as <asn|auto> router-id <id> family-allowed <in-open|afi-safi/...>`.
///
/// As ExaBGP 5.0.15 writes it (checked with its configuration code): an automatic local
/// address is `None` (selectors may still say `local-ip auto`), `family-allowed` lists the
/// families, sorted by AFI then SAFI code, only when multi-session is configured. Addresses
/// are in canonical form (ExaBGP repeats the peer address as written in the file).
pub fn neighbor_description(neighbor: &Neighbor) -> String {
    use fmt::Write as _;
    let mut text = String::with_capacity(128);
    let local_ip = match neighbor.local_address {
        Some(ip) => ip.to_string(),
        None => AUTO_LOCAL_IP.to_string(),
    };
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "neighbor {} local-ip {} local-as {} peer-as {} router-id {} family-allowed ",
        neighbor.peer_text(),
        local_ip,
        neighbor.local_as,
        neighbor.peer_as,
        neighbor.router_id,
    );
    if neighbor.capabilities.multi_session && !neighbor.families.is_empty() {
        let mut families = neighbor.families.clone();
        families.sort();
        families.dedup();
        for (i, family) in families.iter().enumerate() {
            if i > 0 {
                text.push('/');
            }
            match family.afi.name() {
                Some(name) => text.push_str(name),
                None => {
                    let _ = write!(text, "{}", family.afi.0);
                }
            }
            text.push('-');
            match family.safi.name() {
                Some(name) => text.push_str(name),
                None => {
                    let _ = write!(text, "{}", family.safi.0);
                }
            }
        }
    } else {
        text.push_str("in-open");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESCRIPTION: &str = "neighbor 10.0.0.1 local-ip 10.0.0.2 local-as 65000 peer-as 65001 \
                               router-id 1.2.3.4 family-allowed in-open";

    fn selector(pairs: &[(SelectorKey, &str)]) -> Selector {
        Selector::new(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
    }

    #[test]
    fn whole_word_pairs() {
        assert!(contains_pair(DESCRIPTION, "neighbor", "10.0.0.1"));
        // A longer address that starts the same way is not a match.
        assert!(!contains_pair(DESCRIPTION, "neighbor", "10.0.0.10"));
        assert!(!contains_pair(DESCRIPTION, "neighbor", "10.0.0"));
        assert!(contains_pair(DESCRIPTION, "local-as", "65000"));
        assert!(!contains_pair(DESCRIPTION, "as", "65000"));
        assert!(contains_pair(DESCRIPTION, "family-allowed", "in-open"));
        assert!(contains_pair("a b,", "a", "b"));
        assert!(!contains_pair("", "a", "b"));
        assert!(!contains_pair("ä b", "a", "b"));
    }

    #[test]
    fn selectors_and_wildcard() {
        use SelectorKey::*;
        assert!(selector(&[(Neighbor, "10.0.0.1")]).matches(DESCRIPTION));
        assert!(selector(&[
            (Neighbor, "10.0.0.1"),
            (LocalAs, "65000"),
            (PeerAs, "65001")
        ])
        .matches(DESCRIPTION));
        assert!(selector(&[(Neighbor, "10.0.0.1"), (RouterId, "1.2.3.4")]).matches(DESCRIPTION));
        assert!(!selector(&[(Neighbor, "10.0.0.1"), (PeerAs, "65002")]).matches(DESCRIPTION));
        assert!(!selector(&[(Neighbor, "10.0.0.2")]).matches(DESCRIPTION));
        assert!(selector(&[(Neighbor, "*")]).matches(DESCRIPTION));
        assert!(selector(&[(Neighbor, "*"), (PeerAs, "1")]).matches(DESCRIPTION));
        let either = [
            selector(&[(Neighbor, "10.0.0.9")]),
            selector(&[(Neighbor, "10.0.0.1"), (LocalIp, "10.0.0.2")]),
        ];
        assert!(matches_any(&either, DESCRIPTION));
        assert!(!matches_any(&either[..1], DESCRIPTION));
        assert_eq!(either[1].to_string(), "neighbor 10.0.0.1 local-ip 10.0.0.2");
    }

    #[test]
    fn description_of_a_configured_neighbor() {
        let text = "neighbor 127.0.0.1 {\n router-id 1.2.3.4;\n local-address 127.0.0.2;\n \
                    local-as 65000;\n peer-as 65001;\n}\n";
        let config = crate::config::parse(text, "t.conf").unwrap();
        let description = neighbor_description(&config.neighbors[0]);
        assert_eq!(
            description,
            "neighbor 127.0.0.1 local-ip 127.0.0.2 local-as 65000 peer-as 65001 \
             router-id 1.2.3.4 family-allowed in-open"
        );
        let text = "neighbor 2001:db8::1 {\n router-id 1.2.3.4;\n local-as 65000;\n \
                    peer-as 65001;\n capability { multi-session; }\n family { ipv4 unicast;\n \
                    ipv6 flow; ipv4 nlri-mpls; }\n}\n";
        let config = crate::config::parse(text, "t.conf").unwrap();
        let description = neighbor_description(&config.neighbors[0]);
        assert_eq!(
            description,
            "neighbor 2001:db8::1 local-ip None local-as 65000 peer-as 65001 \
             router-id 1.2.3.4 family-allowed ipv4-unicast/ipv4-nlri-mpls/ipv6-flow"
        );
        // Checked against ExaBGP 5.0.15's own description of the same neighbor.
        let text = "neighbor 10.0.0.0/24 {\n router-id 1.2.3.4;\n local-address 10.0.0.254;\n \
                    local-as 65000;\n peer-as auto;\n passive;\n}\n";
        let config = crate::config::parse(text, "t.conf").unwrap();
        assert_eq!(
            neighbor_description(&config.neighbors[0]),
            "neighbor 10.0.0.0/24 local-ip 10.0.0.254 local-as 65000 peer-as auto \
             router-id 1.2.3.4 family-allowed in-open"
        );
        assert!(Selector::new(vec![(SelectorKey::LocalIp, "auto".into())]).matches(&description));
        assert!(Selector::new(vec![(SelectorKey::LocalIp, "None".into())]).matches(&description));
    }
}
