//! ExaBGP's names of AFIs, SAFIs and families (`ipv4`, `flow-vpn`, `unknown-afi-0x99`,
//! `unknown safi 99`) and of RFC 7606 outcomes, written the same way by the JSON and the
//! text encoders.

use std::io::Write as _;

use crate::bgp::update::AttributeErrorNote;
use crate::bgp::{Afi, Family, Safi};

/// An AFI as ExaBGP names it (`ipv4`, or `unknown-afi-0x99` for codes it lacks).
pub fn write_afi(out: &mut Vec<u8>, afi: Afi) {
    match afi.name() {
        Some(name) => out.extend_from_slice(name.as_bytes()),
        None => {
            let _ = write!(out, "unknown-afi-{:#x}", afi.0);
        }
    }
}

/// A SAFI as ExaBGP names it (`unicast`, or `unknown safi 99`).
pub fn write_safi(out: &mut Vec<u8>, safi: Safi) {
    match safi.name() {
        Some(name) => out.extend_from_slice(name.as_bytes()),
        None => {
            let _ = write!(out, "unknown safi {}", safi.0);
        }
    }
}

/// `<afi><separator><safi>`: `ipv4 unicast` (update maps, text) or `ipv4/unicast` (OPEN
/// capabilities).
pub fn write_family(out: &mut Vec<u8>, family: Family, separator: &str) {
    write_afi(out, family.afi);
    out.extend_from_slice(separator.as_bytes());
    write_safi(out, family.safi);
}

/// ExaBGP's word for what RFC 7606 did to an UPDATE's attributes (its `error` key / text
/// attribute): `treat-as-withdraw` or `discard`.
pub fn error_note_name(note: AttributeErrorNote) -> &'static str {
    match note {
        AttributeErrorNote::TreatAsWithdraw => "treat-as-withdraw",
        AttributeErrorNote::Discard => "discard",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_names() {
        let mut out = Vec::new();
        write_family(&mut out, Family::IPV4_UNICAST, " ");
        out.push(b',');
        write_family(&mut out, Family::new(Afi(0x99), Safi(99)), "/");
        assert_eq!(out, b"ipv4 unicast,unknown-afi-0x99/unknown safi 99");
    }
}
