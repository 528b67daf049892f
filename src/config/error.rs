//! Configuration errors and warnings: what went wrong, where (`file:line:col`), and a hint.
//! Every rejection of the configuration is a `ConfigError`; accepted-but-ignored input a `Warning`.

use std::fmt;

pub use crate::rib::configured::Location;

/// What is wrong. Every variant names what was found and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read.
    Io { reason: String },
    /// The file holds no statement at all.
    Empty,
    /// A line ended while a statement was still open (no `;`, `{` or `}`).
    UnterminatedStatement { found: String },
    /// A quoted word was not closed on its line.
    UnterminatedQuote,
    /// A backslash escape that cannot be decoded (`\u` without four hex digits, `\` at the end).
    InvalidEscape { found: String },
    /// A `}` with no open block.
    UnexpectedClose,
    /// The file ended inside a block.
    UnclosedBlock { keyword: String },
    /// A keyword that is not valid in this section.
    UnknownKeyword {
        keyword: String,
        section: &'static str,
        suggestion: Option<&'static str>,
    },
    /// A keyword of older ExaBGP versions or of another block, with where it goes now.
    MisplacedKeyword {
        keyword: String,
        section: &'static str,
        hint: &'static str,
    },
    /// A leaf keyword written as a block (`keyword {`), or the reverse.
    WrongStatementKind {
        keyword: String,
        expected: &'static str,
    },
    /// The keyword needs a value and got none.
    MissingValue {
        keyword: String,
        expected: &'static str,
    },
    /// A value that does not parse.
    InvalidValue {
        keyword: String,
        found: String,
        expected: &'static str,
    },
    /// A number outside its allowed range.
    OutOfRange {
        keyword: String,
        found: String,
        min: u64,
        max: u64,
    },
    /// Extra words after a complete statement.
    TrailingValue { keyword: String, found: String },
    /// `hold-time` of 1 or 2 seconds.
    HoldTime { found: u32 },
    /// A prefix with bits set after the mask.
    HostBitsSet { prefix: String },
    /// The same family twice in one block.
    DuplicateFamily { family: String },
    /// A family line after `all;`.
    FamilyAfterAll,
    /// An AFI/SAFI pair that the block does not accept.
    InvalidFamily { family: String },
    /// Two templates, processes or api blocks with the same name.
    DuplicateName { what: &'static str, name: String },
    /// A name with characters outside `A-Z a-z 0-9 . - _`.
    InvalidName { what: &'static str, name: String },
    /// A block lacks mandatory settings.
    Incomplete {
        what: &'static str,
        missing: Vec<&'static str>,
    },
    /// Two settings that cannot be used together.
    Conflict {
        first: &'static str,
        second: &'static str,
    },
    /// The local and peer addresses are of different families.
    AddressFamilyMismatch { local: String, peer: String },
    /// An address range for the peer without `passive`.
    RangeWithoutPassive { peer: String },
    /// Two neighbors with the same identity.
    DuplicateNeighbor { peer: String },
    /// The route's family is not in the neighbor's families.
    RouteFamilyNotConfigured { family: String, route: String },
    /// `next-hop self` on a route of another family than the session.
    NextHopSelfFamily { route: String, session: String },
    /// A route that lacks what its kind needs (next-hop, rd, ...).
    IncompleteRoute {
        route: String,
        missing: &'static str,
    },
    /// A FlowSpec route whose components do not make an NLRI (none, a type twice, a
    /// component the family lacks, too long).
    InvalidFlow { error: crate::bgp::flow::FlowError },
    /// An api block names a process that is not defined.
    UndefinedProcess { name: String, neighbor: String },
    /// No defined process matches any `processes-match` regex.
    NoProcessMatch { patterns: String, neighbor: String },
    /// An MD5 or TCP-AO password that is too long or not valid base64.
    InvalidPassword {
        keyword: &'static str,
        reason: &'static str,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            Io { reason } => write!(f, "can not read the file: {reason}"),
            Empty => write!(
                f,
                "found no statement, expected at least one `neighbor` or `process` block"
            ),
            UnterminatedStatement { found } => write!(
                f,
                "found end of line after \"{found}\", expected `;`, `{{` or `}}` to end the \
                 statement (end a line with `\\` to continue it)"
            ),
            UnterminatedQuote => write!(f, "found end of line inside a quoted word, expected the closing quote"),
            InvalidEscape { found } => write!(
                f,
                "found invalid escape \"{found}\", expected \\b \\f \\n \\r \\t, \\uXXXX or \\ followed by a character"
            ),
            UnexpectedClose => write!(f, "found `}}` with no open block, expected a keyword"),
            UnclosedBlock { keyword } => write!(
                f,
                "found end of file inside the `{keyword}` block, expected `}}`"
            ),
            UnknownKeyword {
                keyword,
                section,
                suggestion,
            } => {
                write!(f, "found unknown keyword \"{keyword}\" in {section}")?;
                match suggestion {
                    Some(s) => write!(f, ", did you mean \"{s}\"?"),
                    None => Ok(()),
                }
            }
            MisplacedKeyword {
                keyword,
                section,
                hint,
            } => write!(f, "found \"{keyword}\" in {section}, which is not valid there: {hint}"),
            WrongStatementKind { keyword, expected } => {
                write!(f, "found \"{keyword}\", expected {expected}")
            }
            MissingValue { keyword, expected } => {
                write!(f, "found no value for \"{keyword}\", expected {expected}")
            }
            InvalidValue {
                keyword,
                found,
                expected,
            } => write!(f, "found \"{found}\" for \"{keyword}\", expected {expected}"),
            OutOfRange {
                keyword,
                found,
                min,
                max,
            } => write!(
                f,
                "found \"{found}\" for \"{keyword}\", expected a number from {min} to {max}"
            ),
            TrailingValue { keyword, found } => write!(
                f,
                "found unexpected \"{found}\" after the value of \"{keyword}\", expected `;`"
            ),
            HoldTime { found } => write!(
                f,
                "found hold-time {found}, expected 0 or a number from 3 to 65535"
            ),
            HostBitsSet { prefix } => write!(
                f,
                "found prefix {prefix} with host bits set, expected the network address"
            ),
            DuplicateFamily { family } => {
                write!(f, "found family {family} a second time, expected each family once")
            }
            FamilyAfterAll => write!(
                f,
                "found a family after `all`, expected no other family once `all` is set"
            ),
            InvalidFamily { family } => write!(f, "found invalid afi/safi pair \"{family}\""),
            DuplicateName { what, name } => {
                write!(f, "found {what} \"{name}\" a second time, expected unique names")
            }
            InvalidName { what, name } => write!(
                f,
                "found {what} name \"{name}\", expected only the characters A-Z a-z 0-9 . - _"
            ),
            Incomplete { what, missing } => {
                write!(f, "incomplete {what}, missing {}", missing.join(", "))
            }
            Conflict { first, second } => write!(
                f,
                "found both \"{first}\" and \"{second}\", expected only one of them"
            ),
            AddressFamilyMismatch { local, peer } => write!(
                f,
                "found local-address {local} and peer address {peer}, expected addresses of the same family"
            ),
            RangeWithoutPassive { peer } => write!(
                f,
                "found address range {peer} for a neighbor that is not passive, expected `passive;` or a single address"
            ),
            DuplicateNeighbor { peer } => {
                write!(f, "found a second definition of neighbor {peer}")
            }
            RouteFamilyNotConfigured { family, route } => write!(
                f,
                "found route {route} of family {family}, which is not in the neighbor's families, \
                 expected `{family};` in the family block"
            ),
            NextHopSelfFamily { route, session } => write!(
                f,
                "found \"next-hop self\" on an {route} route, expected a route of the session's family ({session})"
            ),
            IncompleteRoute { route, missing } => {
                write!(f, "found route {route} without {missing}")
            }
            InvalidFlow { error } => write!(f, "invalid flow route: {error}"),
            UndefinedProcess { name, neighbor } => write!(
                f,
                "found process \"{name}\" in the api of neighbor {neighbor}, expected a process defined by a `process` block"
            ),
            NoProcessMatch { patterns, neighbor } => write!(
                f,
                "found processes-match {patterns} for neighbor {neighbor}, expected a pattern matching a defined process"
            ),
            InvalidPassword { keyword, reason } => write!(f, "invalid {keyword}: {reason}"),
        }
    }
}

/// A configuration error: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub location: Location,
    pub kind: ErrorKind,
}

impl ConfigError {
    pub fn new(location: Location, kind: ErrorKind) -> ConfigError {
        ConfigError { location, kind }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.kind)
    }
}

impl std::error::Error for ConfigError {}

/// Input that ExaBGP accepts and rexa accepts too, but reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningKind {
    /// A `}` after the last block closed (ExaBGP accepts it silently).
    SurplusClose,
    /// `inherit` names a template that is not (yet) defined; ExaBGP ignores it.
    UnknownTemplate { name: String },
    /// Words after a single-value setting; ExaBGP keeps only the first word.
    IgnoredWords { keyword: String, ignored: String },
    /// A template value replaced the neighbor's own (ExaBGP's merge rule).
    TemplateOverride {
        keyword: &'static str,
        template: String,
    },
    /// A flow component meant for the other address family.
    FlowComponentFamily { keyword: String },
    /// A flow `rate-limit` in bytes/s below 9600 (ExaBGP warns too).
    LowRateLimit { rate: u64 },
    /// A flow prefix with host bits set; ExaBGP accepts it and sends the masked prefix.
    HostBitsMasked { written: String, used: String },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WarningKind::*;
        match self {
            SurplusClose => write!(f, "ignoring `}}` with no open block"),
            UnknownTemplate { name } => write!(
                f,
                "inherit names template \"{name}\" which is not defined above; it is ignored"
            ),
            IgnoredWords { keyword, ignored } => write!(
                f,
                "\"{keyword}\" takes one word, ignoring \"{ignored}\" (quote the value to keep spaces)"
            ),
            TemplateOverride { keyword, template } => write!(
                f,
                "template \"{template}\" replaces this neighbor's \"{keyword}\" (ExaBGP's merge rule: the template wins)"
            ),
            FlowComponentFamily { keyword } => write!(
                f,
                "flow component \"{keyword}\" belongs to the other address family"
            ),
            HostBitsMasked { written, used } => write!(
                f,
                "flow prefix {written} has host bits set, using {used}"
            ),
            LowRateLimit { rate } => write!(
                f,
                "rate-limit {rate} bytes/s is below 9600, a single packet may exceed it"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub location: Location,
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.location, self.kind)
    }
}

/// Damerau-free Levenshtein distance on characters, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    let mut current = vec![0; b_chars.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b_chars.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b_chars.len()]
}

/// The closest candidate within an edit distance of 2 (or 1 for very short words).
pub fn suggest(word: &str, candidates: &[&'static str]) -> Option<&'static str> {
    let length = word.chars().count();
    let limit = if length <= 3 { 1 } else { 2 };
    // The distance is at least the difference in length: a long word (a helper's command
    // line can hold one of a megabyte) is compared with nothing.
    let within_reach = |c: &&&str| c.chars().count().abs_diff(length) <= limit;
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .filter(within_reach)
        .map(|c| (edit_distance(&lower, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestion() {
        assert_eq!(edit_distance("hold-tim", "hold-time"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            suggest("peer-asn", &["peer-as", "local-as"]),
            Some("peer-as")
        );
        assert_eq!(suggest("Router-id", &["router-id"]), Some("router-id"));
        assert_eq!(suggest("xyzzy", &["router-id"]), None);
    }

    #[test]
    fn display_has_location() {
        let e = ConfigError::new(
            Location::new("a.conf".into(), 3, 5),
            ErrorKind::HoldTime { found: 2 },
        );
        assert!(e.to_string().starts_with("a.conf:3:5: found hold-time 2"));
    }
}
