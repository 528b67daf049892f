//! Word cursor over a statement and the parsers for scalar values (bool, ASN, IP, prefix, ...).
//! Every parser names the keyword it serves so errors say `found X for K, expected Y`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::error::{ConfigError, ErrorKind, Location};
use super::lexer::Token;
use super::model::{AsnSetting, Prefix};

/// A cursor over the words of one statement.
pub struct Words<'a> {
    pub file: &'a Arc<str>,
    pub tokens: &'a [Token<'a>],
    pub index: usize,
    /// Where the statement ends (for "missing value" errors).
    pub end_line: u32,
    pub end_col: u32,
}

impl<'a> Words<'a> {
    pub fn new(
        file: &'a Arc<str>,
        tokens: &'a [Token<'a>],
        end_line: u32,
        end_col: u32,
    ) -> Words<'a> {
        Words {
            file,
            tokens,
            index: 0,
            end_line,
            end_col,
        }
    }

    pub fn peek(&self) -> Option<&'a Token<'a>> {
        self.tokens.get(self.index)
    }

    pub fn peek_text(&self) -> Option<&'a str> {
        self.peek().map(|t| &*t.text)
    }

    pub fn advance(&mut self) -> Option<&'a Token<'a>> {
        let t = self.tokens.get(self.index)?;
        self.index += 1;
        Some(t)
    }

    pub fn is_empty(&self) -> bool {
        self.index >= self.tokens.len()
    }

    pub fn at(&self, token: &Token) -> Location {
        Location::new(self.file.clone(), token.line, token.col)
    }

    /// Location of the next word, or of the end of the statement.
    pub fn here(&self) -> Location {
        match self.peek() {
            Some(t) => self.at(t),
            None => Location::new(self.file.clone(), self.end_line, self.end_col),
        }
    }

    pub fn error_at(&self, token: &Token, kind: ErrorKind) -> ConfigError {
        ConfigError::new(self.at(token), kind)
    }

    /// The next word, or a "missing value" error.
    pub fn value(
        &mut self,
        keyword: &str,
        expected: &'static str,
    ) -> Result<&'a Token<'a>, ConfigError> {
        match self.advance() {
            Some(t) if !t.is_punct(";") => Ok(t),
            _ => Err(ConfigError::new(
                self.here(),
                ErrorKind::MissingValue {
                    keyword: keyword.to_string(),
                    expected,
                },
            )),
        }
    }

    /// Errors when words remain.
    pub fn end(&self, keyword: &str) -> Result<(), ConfigError> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(self.error_at(
                t,
                ErrorKind::TrailingValue {
                    keyword: keyword.to_string(),
                    found: t.text.to_string(),
                },
            )),
        }
    }

    pub fn invalid(&self, token: &Token, keyword: &str, expected: &'static str) -> ConfigError {
        self.error_at(
            token,
            ErrorKind::InvalidValue {
                keyword: keyword.to_string(),
                found: token.text.to_string(),
                expected,
            },
        )
    }

    /// Reads `[ a b , c ]` (commas dropped) or a single word. Returns the element tokens.
    pub fn list(
        &mut self,
        keyword: &str,
        expected: &'static str,
    ) -> Result<Vec<&'a Token<'a>>, ConfigError> {
        let first = self.value(keyword, expected)?;
        if !first.is_punct("[") {
            return Ok(vec![first]);
        }
        let mut items = Vec::new();
        loop {
            match self.advance() {
                None => {
                    return Err(ConfigError::new(
                        self.here(),
                        ErrorKind::MissingValue {
                            keyword: keyword.to_string(),
                            expected: "`]` to close the list",
                        },
                    ))
                }
                Some(t) if t.is_punct("]") => return Ok(items),
                Some(t) if t.is_punct(",") => {}
                Some(t) if t.is_punct("[") => return Err(self.invalid(t, keyword, expected)),
                Some(t) => items.push(t),
            }
        }
    }
}

pub fn out_of_range(w: &Words, token: &Token, keyword: &str, min: u64, max: u64) -> ConfigError {
    w.error_at(
        token,
        ErrorKind::OutOfRange {
            keyword: keyword.to_string(),
            found: token.text.to_string(),
            min,
            max,
        },
    )
}

/// Decimal (or `0x` hex) unsigned integer without range.
pub fn parse_u64_text(text: &str) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if hex.is_empty() || hex.len() > 16 {
            return None;
        }
        return u64::from_str_radix(hex, 16).ok();
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// An integer in `min..=max`, with a range error when out of it.
pub fn number(
    w: &Words,
    token: &Token,
    keyword: &str,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let value = match parse_u64_text(&token.text) {
        Some(v) => v,
        None if token.text.bytes().all(|b| b.is_ascii_digit()) && !token.text.is_empty() => {
            return Err(out_of_range(w, token, keyword, min, max))
        }
        None if token.text.starts_with('-')
            && token.text.len() > 1
            && token.text[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            return Err(out_of_range(w, token, keyword, min, max))
        }
        None => return Err(w.invalid(token, keyword, "a number")),
    };
    if value < min || value > max {
        return Err(out_of_range(w, token, keyword, min, max));
    }
    Ok(value)
}

pub fn next_number(w: &mut Words, keyword: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    let t = w.value(keyword, "a number")?;
    number(w, t, keyword, min, max)
}

/// The strict boolean set of 4.x/5.x (case-insensitive), plus 6.0's yes/no/1/0.
pub fn parse_bool_text(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "enable" | "enabled" | "yes" | "1" => Some(true),
        "false" | "disable" | "disabled" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// A boolean setting; `bare` is the value when no word follows.
pub fn boolean(w: &mut Words, keyword: &str, bare: bool) -> Result<bool, ConfigError> {
    let Some(t) = w.advance() else {
        return Ok(bare);
    };
    let value = parse_bool_text(&t.text)
        .ok_or_else(|| w.invalid(t, keyword, "true/enable/enabled or false/disable/disabled"))?;
    w.end(keyword)?;
    Ok(value)
}

/// Plain or asdot (`H.L`) AS number.
pub fn parse_asn_text(text: &str) -> Option<u32> {
    if let Some((high, low)) = text.split_once('.') {
        let high: u32 = high.parse().ok().filter(|h| *h <= 65535)?;
        let low: u32 = low.parse().ok().filter(|l| *l <= 65535)?;
        if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        return Some(high * 65536 + low);
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

pub fn asn(w: &Words, token: &Token, keyword: &str) -> Result<u32, ConfigError> {
    parse_asn_text(&token.text).ok_or_else(|| {
        if token.text.bytes().all(|b| b.is_ascii_digit()) && !token.text.is_empty() {
            out_of_range(w, token, keyword, 0, u64::from(u32::MAX))
        } else {
            w.invalid(
                token,
                keyword,
                "an AS number (0 to 4294967295, or H.L asdot)",
            )
        }
    })
}

pub fn asn_setting(w: &mut Words, keyword: &str) -> Result<AsnSetting, ConfigError> {
    let t = w.value(keyword, "an AS number or auto")?;
    let value = if t.text == "auto" {
        AsnSetting::Auto
    } else {
        AsnSetting::Asn(asn(w, t, keyword)?)
    };
    w.end(keyword)?;
    Ok(value)
}

pub fn ip(w: &Words, token: &Token, keyword: &str) -> Result<IpAddr, ConfigError> {
    token
        .text
        .parse::<IpAddr>()
        .map_err(|_| w.invalid(token, keyword, "an IPv4 or IPv6 address"))
}

pub fn ipv4(w: &Words, token: &Token, keyword: &str) -> Result<Ipv4Addr, ConfigError> {
    token
        .text
        .parse::<Ipv4Addr>()
        .map_err(|_| w.invalid(token, keyword, "an IPv4 address"))
}

pub fn ipv6(w: &Words, token: &Token, keyword: &str) -> Result<Ipv6Addr, ConfigError> {
    token
        .text
        .parse::<Ipv6Addr>()
        .map_err(|_| w.invalid(token, keyword, "an IPv6 address"))
}

/// Reads one word as an address and checks that nothing follows.
pub fn single_ip(w: &mut Words, keyword: &str) -> Result<IpAddr, ConfigError> {
    let t = w.value(keyword, "an IP address")?;
    let value = ip(w, t, keyword)?;
    w.end(keyword)?;
    Ok(value)
}

/// `a.b.c.d/len`, `addr/len`, or a bare address (full length). Host bits must be zero.
pub fn prefix(w: &Words, token: &Token, keyword: &str) -> Result<Prefix, ConfigError> {
    let (addr_text, len_text) = match token.text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (&*token.text, None),
    };
    let addr: IpAddr = addr_text
        .parse()
        .map_err(|_| w.invalid(token, keyword, "a prefix (address/length)"))?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len_text {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max && l.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => {
                return Err(w.invalid(
                    token,
                    keyword,
                    "a prefix length of 0..32 (IPv4) or 0..128 (IPv6)",
                ))
            }
        },
    };
    let prefix = Prefix::new(addr, len)
        .ok_or_else(|| w.invalid(token, keyword, "a prefix (address/length)"))?;
    if mask(addr, len) != addr {
        return Err(w.error_at(
            token,
            ErrorKind::HostBitsSet {
                prefix: token.text.to_string(),
            },
        ));
    }
    Ok(prefix)
}

/// Clears the bits after `len`.
pub fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len.min(32)))
            };
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len.min(128)))
            };
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

/// A name of `A-Z a-z 0-9 . - _` characters.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(parse_asn_text("1.10"), Some(65546));
        assert_eq!(parse_asn_text("4294967296"), None);
        assert_eq!(parse_asn_text("1.65536"), None);
        assert_eq!(parse_bool_text("Enable"), Some(true));
        assert_eq!(parse_u64_text("0x10"), Some(16));
        assert_eq!(parse_u64_text("-1"), None);
        assert_eq!(
            mask("10.1.2.3".parse().unwrap(), 16),
            "10.1.0.0".parse::<IpAddr>().unwrap()
        );
    }
}
