//! The healthcheck's addresses: networks parsed and printed as Python's `ipaddress` does (the
//! text ExaBGP's healthcheck prints), their hosts, and the loopback addresses read and set with `ip`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::{Command, Stdio};

/// Most host addresses rexa expands one network into (`--deaggregate-networks`, IP set-up):
/// ExaBGP would try to walk an IPv6 /64 address by address; rexa refuses instead.
pub const MAX_HOSTS: u128 = 65_536;

/// An IP network with no host bits set, as `ipaddress.ip_network` (strict) accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Net {
    addr: IpAddr,
    len: u8,
}

/// Why a network given on the command line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// Not an IPv4 or IPv6 address.
    Address(String),
    /// The prefix length (or netmask) is not valid for the family.
    Prefix(String),
    /// The address has bits set beyond the prefix length.
    HostBits(String),
    /// More hosts than `MAX_HOSTS` to walk.
    TooLarge(String),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Address(t) => {
                write!(f, "{t:?} does not appear to be an IPv4 or IPv6 network")
            }
            NetError::Prefix(t) => write!(f, "{t:?}: invalid prefix length or netmask"),
            NetError::HostBits(t) => write!(f, "{t} has host bits set"),
            NetError::TooLarge(t) => {
                write!(
                    f,
                    "{t} holds more than {MAX_HOSTS} addresses to walk one by one"
                )
            }
        }
    }
}

impl std::error::Error for NetError {}

fn bits(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn to_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn from_u128(v4: bool, value: u128) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::from(u32::try_from(value).unwrap_or(u32::MAX)))
    } else {
        IpAddr::V6(Ipv6Addr::from(value))
    }
}

impl Net {
    /// Parses `ADDR[/LEN]` (or `ADDR/NETMASK` for IPv4), refusing host bits as
    /// `ip_network(value)` does.
    pub fn parse(text: &str) -> Result<Net, NetError> {
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = address
            .parse()
            .map_err(|_| NetError::Address(text.to_owned()))?;
        let max = bits(addr);
        let len = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u8>()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| NetError::Prefix(text.to_owned()))?,
            Some(p) => match (addr, p.parse::<Ipv4Addr>()) {
                (IpAddr::V4(_), Ok(mask)) => {
                    let m = u32::from(mask);
                    let ones = m.leading_ones();
                    if m.checked_shl(ones).unwrap_or(0) != 0 {
                        return Err(NetError::Prefix(text.to_owned()));
                    }
                    ones as u8
                }
                _ => return Err(NetError::Prefix(text.to_owned())),
            },
        };
        let net = Net { addr, len };
        if net.host_mask() & to_u128(addr) != 0 {
            return Err(NetError::HostBits(text.to_owned()));
        }
        Ok(net)
    }

    /// The one-address network of `addr` (/32 or /128).
    pub fn host(addr: IpAddr) -> Net {
        Net {
            addr,
            len: bits(addr),
        }
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    fn host_mask(&self) -> u128 {
        let host_bits = u32::from(bits(self.addr) - self.len);
        1u128.checked_shl(host_bits).map_or(u128::MAX, |v| v - 1)
    }

    /// How many addresses the network holds (saturating).
    pub fn size(&self) -> u128 {
        self.host_mask().saturating_add(1)
    }

    /// Every address of the network, network and broadcast addresses included, each as a
    /// one-address network (Python's `[ip_network(ip) for ip in net]`). Refused beyond
    /// `MAX_HOSTS`.
    pub fn hosts(&self) -> Result<Vec<Net>, NetError> {
        if self.size() > MAX_HOSTS {
            return Err(NetError::TooLarge(self.to_string()));
        }
        let base = to_u128(self.addr);
        let v4 = matches!(self.addr, IpAddr::V4(_));
        Ok((0..self.size())
            .map(|i| Net::host(from_u128(v4, base + i)))
            .collect())
    }

    /// Python's `is_loopback` of a network: all of it inside 127.0.0.0/8, or `::1/128`.
    pub fn is_loopback(&self) -> bool {
        match self.addr {
            IpAddr::V4(a) => a.octets()[0] == 127 && self.len >= 8,
            IpAddr::V6(a) => a == Ipv6Addr::LOCALHOST && self.len == 128,
        }
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", python_ip(self.addr), self.len)
    }
}

/// An address as Python 3.11's `ipaddress` prints it: IPv6 compressed with the leftmost
/// longest run (two or more) of zero groups as `::`, and no dotted IPv4 tail
/// (`::ffff:102:304`, where Rust would print `::ffff:1.2.3.4`).
pub fn python_ip(addr: IpAddr) -> String {
    let v6 = match addr {
        IpAddr::V4(a) => return a.to_string(),
        IpAddr::V6(a) => a,
    };
    let groups = v6.segments();
    let (mut best_start, mut best_len) = (0usize, 0usize);
    let mut run_start = 0usize;
    let mut run_len = 0usize;
    for (i, g) in groups.iter().enumerate() {
        if *g == 0 {
            if run_len == 0 {
                run_start = i;
            }
            run_len += 1;
            if run_len > best_len {
                best_start = run_start;
                best_len = run_len;
            }
        } else {
            run_len = 0;
        }
    }
    let hex = |gs: &[u16]| {
        gs.iter()
            .map(|g| format!("{g:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if best_len < 2 {
        return hex(&groups);
    }
    let head = hex(&groups[..best_start]);
    let tail = hex(&groups[best_start + best_len..]);
    format!("{head}::{tail}")
}

/// One address found on an interface by `ip -o address show dev IFNAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub net: Net,
    /// The label after `IFNAME:` (IPv4 addresses only carry one).
    pub label: Option<String>,
}

/// The addresses of `ip -o address show` output, as ExaBGP's healthcheck reads them:
/// `inet`/`inet6` lines whose address has no host bits set; labels taken after one of
/// `ifnames` and a colon.
pub fn parse_ip_show(output: &str, ifnames: &[String]) -> Vec<Found> {
    let mut found = Vec::new();
    for line in output.lines() {
        let line = line.trim();
        let mut words = line.split_whitespace();
        let index = words.next().unwrap_or_default();
        let Some(index) = index.strip_suffix(':') else {
            continue;
        };
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let _name = words.next();
        if !matches!(words.next(), Some("inet" | "inet6")) {
            continue;
        }
        let Some(address) = words.next() else {
            continue;
        };
        // ExaBGP's pattern wants something after the address.
        if words.next().is_none() {
            continue;
        }
        let Some((ip, mask)) = address.split_once('/') else {
            continue;
        };
        if ip.is_empty()
            || !ip
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
            || ip.bytes().any(|b| b.is_ascii_uppercase())
            || mask.is_empty()
            || !mask.bytes().all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let Ok(net) = Net::parse(address) else {
            continue;
        };
        found.push(Found {
            net,
            label: label_of(line, ifnames),
        });
    }
    found
}

/// The label of an `ip -o` line: the last `IFNAME:LABEL` word after whitespace, up to the
/// next whitespace or backslash.
fn label_of(line: &str, ifnames: &[String]) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for ifname in ifnames {
        let needle = format!("{ifname}:");
        let mut from = 0;
        while let Some(at) = line[from..].find(&needle) {
            let start = from + at;
            from = start + 1;
            let preceded = line[..start]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace);
            if !preceded {
                continue;
            }
            let rest = &line[start + needle.len()..];
            let label: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '\\')
                .collect();
            if label.is_empty() {
                continue;
            }
            if best.as_ref().map_or(true, |(b, _)| start > *b) {
                best = Some((start, label));
            }
        }
    }
    best.map(|(_, l)| l)
}

/// Which loopback addresses to keep: ExaBGP's `system_ips` filter (not loopback; with a
/// label, only labelled ones matching it).
pub fn select(found: &[Found], label: Option<&str>, exact: bool, label_only: bool) -> Vec<Net> {
    found
        .iter()
        .filter(|f| !f.net.is_loopback())
        .filter(|f| match label {
            Some(wanted) if !wanted.is_empty() => f.label.as_deref().is_some_and(|l| {
                if exact {
                    l == wanted
                } else {
                    l.starts_with(wanted)
                }
            }),
            // An empty `--label ''` selects nothing when only labelled addresses count.
            Some(_) => !label_only,
            None => true,
        })
        .map(|f| f.net)
        .collect()
}

/// Why `ip` could not do what was asked.
#[derive(Debug)]
pub enum IpError {
    /// `ip` could not be started.
    Spawn {
        command: String,
        error: std::io::Error,
    },
    /// `ip` failed (other than with status 2, which ExaBGP ignores on `add`).
    Failed {
        command: String,
        status: Option<i32>,
    },
    /// A network is too large to walk.
    Net(NetError),
}

impl fmt::Display for IpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpError::Spawn { command, error } => write!(f, "cannot run `{command}`: {error}"),
            IpError::Failed { command, status } => match status {
                Some(code) => write!(f, "`{command}` failed with status {code}"),
                None => write!(f, "`{command}` was killed by a signal"),
            },
            IpError::Net(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for IpError {}

/// The interface and label settings of the IP set-up.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// `--ip-ifname`: the interface of some `--ip` networks (others go to `lo`).
    pub ifnames: Vec<(Net, String)>,
    pub label: Option<String>,
    pub label_exact_match: bool,
    pub sudo: bool,
}

impl Setup {
    fn ifname_of(&self, net: &Net) -> String {
        self.ifnames
            .iter()
            .find(|(n, _)| n == net)
            .map_or_else(|| "lo".to_owned(), |(_, i)| i.clone())
    }

    /// The interfaces looked at: `lo` and those of `--ip-ifname`.
    fn interfaces(&self) -> Vec<String> {
        let mut names = vec!["lo".to_owned()];
        for (_, name) in &self.ifnames {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    /// The addresses of the interfaces, through `ip -o address show dev IFNAME`.
    pub fn system_ips(&self, label_only: bool) -> Result<Vec<Net>, IpError> {
        let names = self.interfaces();
        let program = if std::path::Path::new("/sbin/ip").exists() {
            "/sbin/ip"
        } else {
            "ip"
        };
        let mut output = String::new();
        for name in &names {
            let command = format!("{program} -o address show dev {name}");
            let out = Command::new(program)
                .args(["-o", "address", "show", "dev", name])
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .map_err(|error| IpError::Spawn {
                    command: command.clone(),
                    error,
                })?;
            output.push_str(&String::from_utf8_lossy(&out.stdout));
        }
        let found = parse_ip_show(&output, &names);
        let addresses = select(
            &found,
            self.label.as_deref(),
            self.label_exact_match,
            label_only,
        );
        log::debug!(target: "healthcheck", "System addresses ({names:?}) detected: {addresses:?}");
        Ok(addresses)
    }

    fn ip_command(&self, verb: &str, host: &Net) -> (Command, String) {
        let ifname = self.ifname_of(host);
        let mut words: Vec<String> = Vec::new();
        if self.sudo {
            words.push("sudo".into());
        }
        words.extend(["ip", "address", verb].map(String::from));
        words.push(host.to_string());
        words.push("dev".into());
        words.push(ifname.clone());
        if let Some(label) = self.label.as_ref().filter(|l| !l.is_empty()) {
            words.push("label".into());
            words.push(format!("{ifname}:{label}"));
        }
        let mut command = Command::new(&words[0]);
        command
            .args(&words[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        (command, words.join(" "))
    }

    fn hosts(nets: &[Net]) -> Result<Vec<Net>, IpError> {
        let mut all = Vec::new();
        for net in nets {
            if all.len() as u128 + net.size() > MAX_HOSTS {
                return Err(IpError::Net(NetError::TooLarge(net.to_string())));
            }
            for host in net.hosts().map_err(IpError::Net)? {
                if !all.contains(&host) {
                    all.push(host);
                }
            }
        }
        Ok(all)
    }

    /// Adds the hosts of `nets` missing from the interfaces (`ip address add`); status 2
    /// (already there, or not permitted) is ignored as ExaBGP does.
    pub fn setup(&self, nets: &[Net]) -> Result<(), IpError> {
        let existing = self.system_ips(false)?;
        for host in Self::hosts(nets)? {
            if existing.contains(&host) {
                continue;
            }
            let (mut command, text) = self.ip_command("add", &host);
            log::debug!(target: "healthcheck", "Setup {} IP address {host}", self.ifname_of(&host));
            let status = command.status().map_err(|error| IpError::Spawn {
                command: text.clone(),
                error,
            })?;
            // ExaBGP ignores status 2 (already there, or not permitted) of a plain `ip`.
            let ignored = status.code() == Some(2) && !self.sudo;
            if !(status.success() || ignored) {
                return Err(IpError::Failed {
                    command: text,
                    status: status.code(),
                });
            }
        }
        Ok(())
    }

    /// Removes the hosts of `nets` found on the interfaces (`ip address delete`); failures
    /// are warnings.
    pub fn remove(&self, nets: &[Net]) -> Result<(), IpError> {
        let existing = self.system_ips(true)?;
        for host in Self::hosts(nets)? {
            if !existing.contains(&host) {
                continue;
            }
            let ifname = self.ifname_of(&host);
            let (mut command, _) = self.ip_command("delete", &host);
            log::debug!(target: "healthcheck", "Remove {ifname} IP address {host}");
            if !command.status().is_ok_and(|s| s.success()) {
                log::warn!(
                    target: "healthcheck",
                    "Unable to remove {ifname} IP address {host} - is healthcheck running as root?"
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> Net {
        Net::parse(text).expect(text)
    }

    #[test]
    fn networks_parse_and_print_as_python_does() {
        assert_eq!(net("192.0.2.10").to_string(), "192.0.2.10/32");
        assert_eq!(net("10.0.0.0/255.255.255.0").to_string(), "10.0.0.0/24");
        assert_eq!(
            net("2001:DB8:0:0:1::/80").to_string(),
            "2001:db8:0:0:1::/80"
        );
        assert_eq!(net("::ffff:1.2.3.4").to_string(), "::ffff:102:304/128");
        assert_eq!(
            net("2001:db8::1:0:0:1").to_string(),
            "2001:db8::1:0:0:1/128"
        );
        assert_eq!(net("1:0:1:0:1:0:1:0").to_string(), "1:0:1:0:1:0:1:0/128");
        assert_eq!(net("::").to_string(), "::/128");
        assert!(matches!(
            Net::parse("10.0.0.1/24"),
            Err(NetError::HostBits(_))
        ));
        assert!(matches!(
            Net::parse("10.0.0.0/33"),
            Err(NetError::Prefix(_))
        ));
        assert!(matches!(
            Net::parse("10.0.0.0/255.0.255.0"),
            Err(NetError::Prefix(_))
        ));
        assert!(matches!(Net::parse("self"), Err(NetError::Address(_))));
        assert!(matches!(Net::parse("10.0.0.0/"), Err(NetError::Prefix(_))));
    }

    #[test]
    fn hosts_walk_every_address_and_refuse_huge_networks() {
        let hosts: Vec<String> = net("10.0.0.0/30")
            .hosts()
            .expect("small")
            .iter()
            .map(Net::to_string)
            .collect();
        assert_eq!(
            hosts,
            ["10.0.0.0/32", "10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"]
        );
        assert_eq!(net("2001:db8::/127").hosts().expect("small").len(), 2);
        assert!(net("2001:db8::/64").hosts().is_err());
        assert!(net("127.0.0.0/8").is_loopback());
        assert!(!net("0.0.0.0/0").is_loopback());
        assert!(net("::1").is_loopback());
    }

    const IP_SHOW: &str = "\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
1: lo    inet 192.0.2.77/32 scope global lo:web1\\       valid_lft forever preferred_lft forever
1: lo    inet 192.0.2.78/32 scope global lo:web\\       valid_lft forever preferred_lft forever
1: lo    inet 10.1.0.1/24 scope global lo\\       valid_lft forever preferred_lft forever
1: lo    inet 10.2.0.0/24 scope global lo\\       valid_lft forever preferred_lft forever
1: lo    inet6 2001:db8::5/128 scope global \\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever
";

    #[test]
    fn loopback_addresses_are_read_and_filtered_by_label() {
        let found = parse_ip_show(IP_SHOW, &["lo".to_owned()]);
        let all: Vec<String> = select(&found, None, false, false)
            .iter()
            .map(Net::to_string)
            .collect();
        // 10.1.0.1/24 has host bits set: ExaBGP skips it; loopbacks are left out.
        assert_eq!(
            all,
            [
                "192.0.2.77/32",
                "192.0.2.78/32",
                "10.2.0.0/24",
                "2001:db8::5/128"
            ]
        );
        let web: Vec<String> = select(&found, Some("web"), false, false)
            .iter()
            .map(Net::to_string)
            .collect();
        assert_eq!(web, ["192.0.2.77/32", "192.0.2.78/32"]);
        let exact: Vec<String> = select(&found, Some("web"), true, false)
            .iter()
            .map(Net::to_string)
            .collect();
        assert_eq!(exact, ["192.0.2.78/32"]);
    }
}
