//! NOTIFICATION messages (RFC 4271 §4.5): codes and subcodes with their names, RFC 4486
//! cease subcodes, and the RFC 8203/9003 shutdown communication.

/// A NOTIFICATION, received or to send; also what every decode error carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub code: u8,
    pub subcode: u8,
    pub data: Vec<u8>,
}

impl Notification {
    pub fn new(code: u8, subcode: u8, data: Vec<u8>) -> Self {
        Notification {
            code,
            subcode,
            data,
        }
    }
}
