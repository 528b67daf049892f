//! PMSI_TUNNEL (RFC 6514 §5, RFC 7432 ingress replication): flags, tunnel type, the
//! 3-byte MPLS label field and the tunnel identifier, with ExaBGP's `pmsi:` text form.

use std::fmt;
use std::net::Ipv4Addr;

/// The PMSI Tunnel attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PmsiTunnel {
    pub flags: u8,
    pub tunnel_type: u8,
    /// The 3-byte label field as received (label in the top 20 bits).
    pub label_field: u32,
    pub tunnel: Vec<u8>,
}

pub const PMSI_NO_TUNNEL: u8 = 0;
pub const PMSI_INGRESS_REPLICATION: u8 = 6;

impl PmsiTunnel {
    /// Ingress replication (type 6) towards `endpoint` with this MPLS label.
    pub fn ingress_replication(endpoint: Ipv4Addr, label: u32, flags: u8) -> Self {
        PmsiTunnel {
            flags,
            tunnel_type: PMSI_INGRESS_REPLICATION,
            label_field: (label << 4) & 0x00FF_FFFF,
            tunnel: endpoint.octets().to_vec(),
        }
    }

    /// The header is 5 bytes; anything shorter is malformed.
    pub fn decode(value: &[u8]) -> Option<PmsiTunnel> {
        let header = value.get(..5)?;
        Some(PmsiTunnel {
            flags: header[0],
            tunnel_type: header[1],
            label_field: u32::from_be_bytes([0, header[2], header[3], header[4]]),
            tunnel: value.get(5..)?.to_vec(),
        })
    }

    pub fn encode_value(&self, out: &mut Vec<u8>) {
        out.push(self.flags);
        out.push(self.tunnel_type);
        out.extend_from_slice(&self.label_field.to_be_bytes()[1..]);
        out.extend_from_slice(&self.tunnel);
    }

    pub fn label(&self) -> u32 {
        self.label_field >> 4
    }

    pub fn tunnel_type_name(&self) -> &'static str {
        match self.tunnel_type {
            0 => "notunnel",
            1 => "rsvp-tep2mplsp",
            2 => "mldpp2mplsp",
            3 => "pim-ssmtree",
            4 => "pim-smtree",
            5 => "bidir-pimtree",
            6 => "ingressreplication",
            7 => "mldpmp2mplsp",
            _ => "unknown",
        }
    }

    /// ExaBGP keeps the raw label field (shown as `label(raw)`) only for an ingress
    /// replication tunnel with a 4-byte endpoint.
    fn ingress_ipv4(&self) -> Option<Ipv4Addr> {
        if self.tunnel_type != PMSI_INGRESS_REPLICATION {
            return None;
        }
        let octets: [u8; 4] = self.tunnel.as_slice().try_into().ok()?;
        Some(Ipv4Addr::from(octets))
    }
}

impl fmt::Display for PmsiTunnel {
    /// `pmsi:<type>:<flags>:<label>:<tunnel>`, e.g. `pmsi:ingressreplication:0:100(1600):192.0.2.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pmsi:{}:{}:", self.tunnel_type_name(), self.flags)?;
        let endpoint = self.ingress_ipv4();
        if endpoint.is_some() && self.label_field != 0 {
            write!(f, "{}({})", self.label(), self.label_field)?;
        } else {
            write!(f, "{}", self.label())?;
        }
        f.write_str(":")?;
        if let Some(ip) = endpoint {
            write!(f, "{ip}")
        } else if self.tunnel.is_empty() {
            Ok(())
        } else {
            f.write_str("0x")?;
            for byte in &self.tunnel {
                write!(f, "{byte:02X}")?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingress_replication_text() {
        let p = PmsiTunnel::ingress_replication(Ipv4Addr::new(192, 0, 2, 1), 100, 0);
        assert_eq!(
            p.to_string(),
            "pmsi:ingressreplication:0:100(1600):192.0.2.1"
        );
        let mut out = Vec::new();
        p.encode_value(&mut out);
        assert_eq!(PmsiTunnel::decode(&out), Some(p));
        assert_eq!(PmsiTunnel::decode(&[0, 6, 0, 0]), None);
        let odd = PmsiTunnel::decode(&[1, 9, 0, 0x06, 0x40, 0xAB]).expect("decodes");
        assert_eq!(odd.to_string(), "pmsi:unknown:1:100:0xAB");
    }
}
