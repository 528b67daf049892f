//! AIGP (RFC 7311): the TLVs kept as received, with the accumulated metric of the AIGP
//! TLV (type 1) read out and ExaBGP's `0x` + 16 hex digits text form.

use std::fmt;

use crate::bgp::wire::Reader;

/// The AIGP attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Aigp {
    /// The TLVs exactly as received (or as built by [`Aigp::metric`]).
    pub tlvs: Vec<u8>,
}

/// Why an AIGP value is malformed (RFC 7311 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AigpFault {
    /// A TLV header or value runs past the attribute, or a TLV length below 3.
    BadTlvLength,
    /// The AIGP TLV (type 1) is not 11 bytes long.
    BadMetricLength(u16),
    /// No AIGP TLV.
    NoMetric,
}

impl fmt::Display for AigpFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AigpFault::BadTlvLength => f.write_str("a TLV length does not fit the attribute"),
            AigpFault::BadMetricLength(n) => write!(f, "AIGP TLV of length {n}, expected 11"),
            AigpFault::NoMetric => f.write_str("no AIGP TLV"),
        }
    }
}

impl Aigp {
    /// An attribute holding one AIGP TLV with this metric.
    pub fn metric(metric: u64) -> Self {
        let mut tlvs = vec![1, 0, 11];
        tlvs.extend_from_slice(&metric.to_be_bytes());
        Aigp { tlvs }
    }

    /// Checks the TLV framing and that an 11-byte AIGP TLV is present.
    pub fn decode(value: &[u8]) -> Result<Aigp, AigpFault> {
        let aigp = Aigp {
            tlvs: value.to_vec(),
        };
        aigp.accumulated().map(|_| aigp)
    }

    fn accumulated(&self) -> Result<u64, AigpFault> {
        let mut reader = Reader::new(&self.tlvs);
        let mut found = None;
        while !reader.is_empty() {
            let (kind, length) = match (reader.u8(), reader.u16()) {
                (Some(t), Some(l)) if l >= 3 => (t, l),
                _ => return Err(AigpFault::BadTlvLength),
            };
            let body = reader
                .take(usize::from(length) - 3)
                .ok_or(AigpFault::BadTlvLength)?;
            if kind == 1 {
                let bytes: [u8; 8] = body
                    .try_into()
                    .map_err(|_| AigpFault::BadMetricLength(length))?;
                found.get_or_insert(u64::from_be_bytes(bytes));
            }
        }
        found.ok_or(AigpFault::NoMetric)
    }

    /// The accumulated IGP metric (0 if the value has none, which `decode` refuses).
    pub fn value(&self) -> u64 {
        self.accumulated().unwrap_or(0)
    }
}

impl fmt::Display for Aigp {
    /// `0x` + 16 lowercase hex digits, as ExaBGP's JSON shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:016x}", self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_text() {
        let a = Aigp::metric(100);
        assert_eq!(Aigp::decode(&a.tlvs), Ok(a.clone()));
        assert_eq!(a.to_string(), "0x0000000000000064");
        assert_eq!(
            Aigp::decode(&[1, 0, 4, 0]),
            Err(AigpFault::BadMetricLength(4))
        );
        assert_eq!(Aigp::decode(&[1, 0]), Err(AigpFault::BadTlvLength));
        assert_eq!(Aigp::decode(&[2, 0, 3]), Err(AigpFault::NoMetric));
    }
}
