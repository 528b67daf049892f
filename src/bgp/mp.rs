//! MP_REACH_NLRI and MP_UNREACH_NLRI values (RFC 4760): family, next-hop and NLRI.
//! STUB: filled in by the NLRI work; `decode` and `encode_value` are the fixed interface.

use super::negotiated::Negotiated;
use super::nlri::NlriError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpReach {
    pub value: Vec<u8>,
}

impl MpReach {
    pub fn decode(value: &[u8], _ctx: &Negotiated) -> Result<MpReach, NlriError> {
        Ok(MpReach {
            value: value.to_vec(),
        })
    }

    /// Appends the attribute value (without the attribute header).
    pub fn encode_value(&self, out: &mut Vec<u8>, _ctx: &Negotiated) {
        out.extend_from_slice(&self.value);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpUnreach {
    pub value: Vec<u8>,
}

impl MpUnreach {
    pub fn decode(value: &[u8], _ctx: &Negotiated) -> Result<MpUnreach, NlriError> {
        Ok(MpUnreach {
            value: value.to_vec(),
        })
    }

    /// Appends the attribute value (without the attribute header).
    pub fn encode_value(&self, out: &mut Vec<u8>, _ctx: &Negotiated) {
        out.extend_from_slice(&self.value);
    }
}
