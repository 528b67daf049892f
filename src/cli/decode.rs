//! `rexa decode`: one BGP message (or bare NLRI) as hex in, ExaBGP-5-compatible JSON out.
//! Owns the command line (ExaBGP's `decode` options), hex input parsing and message framing.

use std::ffi::OsString;
use std::fmt;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;

use crate::api::json::{Direction, Envelope, EventHead, NeighborIdentity, FORMAT_VERSION_5};
use crate::api::message_json::{self, UpdateJsonOptions};
use crate::bgp::flow::{is_flow_family, FlowNlri};
use crate::bgp::negotiated::{EXTENDED_MAX_MESSAGE, STANDARD_MAX_MESSAGE};
use crate::bgp::nlri::{NlriError, NlriIter, NlriKind};
use crate::bgp::operational::Operational;
use crate::bgp::refresh::RouteRefresh;
use crate::bgp::{DecodeError, Family, Negotiated, Notification, Open};
use crate::config::{AddPathMode as ConfigAddPath, AsnSetting, Neighbor};

const HELP: &str = "\
rexa decode — print a BGP message given in hex as ExaBGP 5 JSON

Usage:
  rexa decode [OPTIONS] [HEX...]
  echo HEX | rexa decode [OPTIONS]

The hex is one whole message, with or without the 16-byte marker (the 19-byte header
may be left out too: the bytes are then the body of an UPDATE, or of an OPEN with --open).
Spaces and ':' separators are ignored, as in FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000.
Several HEX arguments are joined; without any, the hex is read from stdin.

Options:
  -u, --update                the hex is an UPDATE (the default when there is no header)
  -o, --open                  the hex is an OPEN (needed only when there is no header)
  -n, --nlri                  the hex is only NLRI, of the family given by -f
                              (default ipv4 unicast); prints one JSON object per NLRI
  -f, --family \"AFI SAFI\"     family of bare NLRI; with an UPDATE, the only family
                              enabled (e.g. -f \"ipv4 mpls-vpn\")
  -i, --path-information      NLRI carry ADD-PATH path identifiers
  -c, --configuration CONFIG  take the context from the first neighbor of CONFIG
                              (families, ADD-PATH, asn4, AIGP, its identity)
  -d, --debug, -p, --pdb      accepted for ExaBGP compatibility (no effect)
  -j, --json                  accepted for ExaBGP 6 compatibility (JSON is the only output)
  -h, --help                  this text

Without options rexa assumes what ExaBGP's decoder assumes: 4-octet AS numbers, no
ADD-PATH, every family enabled, neighbor 127.0.0.1 AS 65533, router-id 10.0.0.2.
Exit status: 0 on success, 1 on bad input (one line on stderr).
";

/// What the hex holds, as the command line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputKind {
    /// A message; its header, when present, gives the type, otherwise an UPDATE body.
    #[default]
    Update,
    /// A message; its header, when present, gives the type, otherwise an OPEN body.
    Open,
    /// Bare NLRI of one family.
    Nlri,
}

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    pub kind: InputKind,
    /// `-f`: family of bare NLRI, or the only family enabled for a message.
    pub family: Option<Family>,
    /// `-i`: NLRI carry ADD-PATH path identifiers.
    pub path_information: bool,
    /// `-c`: configuration to take the negotiated context from.
    pub configuration: Option<String>,
    /// Hex given as arguments, joined; `None` means read stdin.
    pub hex: Option<String>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Help,
    Decode(DecodeOptions),
}

/// Everything `rexa decode` can fail on; each is reported as one line.
#[derive(Debug)]
pub enum DecodeCliError {
    /// The command line itself (unknown option, missing value).
    Arguments(lexopt::Error),
    /// An option ExaBGP has but rexa does not implement.
    UnsupportedOption(&'static str),
    /// `-f` names no family rexa knows.
    UnknownFamily(String),
    /// `-c`: the configuration does not load.
    Configuration(crate::config::ConfigError),
    /// `-c`: the configuration has no neighbor to take the context from.
    NoNeighbor(String),
    /// Reading stdin failed.
    Stdin(std::io::Error),
    Hex(HexError),
    Frame(FrameError),
    /// The message was framed but its content is malformed.
    Malformed {
        message: &'static str,
        error: DecodeError,
    },
    /// A message type or family whose JSON is not written yet.
    NotSupported(String),
}

impl fmt::Display for DecodeCliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeCliError::Arguments(e) => write!(f, "{e} (see rexa decode --help)"),
            DecodeCliError::UnsupportedOption(option) => {
                write!(f, "option {option} is not supported by rexa")
            }
            DecodeCliError::UnknownFamily(text) => {
                write!(
                    f,
                    "unknown family {text:?} (expected e.g. \"ipv4 unicast\")"
                )
            }
            DecodeCliError::Configuration(e) => write!(f, "-c: {e}"),
            DecodeCliError::NoNeighbor(path) => {
                write!(f, "-c {path}: the configuration has no neighbor")
            }
            DecodeCliError::Stdin(e) => write!(f, "cannot read the hex from stdin: {e}"),
            DecodeCliError::Hex(e) => e.fmt(f),
            DecodeCliError::Frame(e) => e.fmt(f),
            DecodeCliError::Malformed { message, error } => {
                write!(f, "malformed {message}: {error}")
            }
            DecodeCliError::NotSupported(what) => write!(f, "{what} is not supported yet"),
        }
    }
}

impl std::error::Error for DecodeCliError {}

impl From<lexopt::Error> for DecodeCliError {
    fn from(e: lexopt::Error) -> Self {
        DecodeCliError::Arguments(e)
    }
}

impl From<HexError> for DecodeCliError {
    fn from(e: HexError) -> Self {
        DecodeCliError::Hex(e)
    }
}

impl From<FrameError> for DecodeCliError {
    fn from(e: FrameError) -> Self {
        DecodeCliError::Frame(e)
    }
}

/// Parses `rexa decode`'s arguments (after the sub-command word).
pub fn parse_args(args: Vec<OsString>) -> Result<Request, DecodeCliError> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut options = DecodeOptions::default();
    let mut hex: Option<String> = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(Request::Help),
            Short('u') | Long("update") => options.kind = InputKind::Update,
            Short('o') | Long("open") => options.kind = InputKind::Open,
            Short('n') | Long("nlri") => options.kind = InputKind::Nlri,
            Short('i') | Long("path-information") => options.path_information = true,
            Short('d') | Long("debug") | Short('p') | Long("pdb") | Short('j') | Long("json") => {}
            Short('g') | Long("generic") => {
                return Err(DecodeCliError::UnsupportedOption("--generic"))
            }
            Short('m') | Long("command") => {
                return Err(DecodeCliError::UnsupportedOption("--command"))
            }
            Short('f') | Long("family") => {
                let text: String = parser.value()?.string()?;
                let family = Family::parse(&text).ok_or(DecodeCliError::UnknownFamily(text))?;
                options.family = Some(family);
            }
            Short('c') | Long("configuration") => {
                options.configuration = Some(parser.value()?.string()?);
            }
            Value(value) => {
                let value = value.string()?;
                hex.get_or_insert_with(String::new).push_str(&value);
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    options.hex = hex;
    Ok(Request::Decode(options))
}

/// Bad hex input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HexError {
    /// Nothing but separators.
    Empty,
    /// A character that is neither a hex digit nor a separator (space, tab, newline, ':').
    InvalidCharacter { character: char, position: usize },
    /// An odd number of hex digits.
    OddDigits { count: usize },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::Empty => f.write_str("no hex given"),
            HexError::InvalidCharacter {
                character,
                position,
            } => write!(
                f,
                "invalid hex: {character:?} at character {position} is not a hex digit"
            ),
            HexError::OddDigits { count } => {
                write!(f, "invalid hex: odd number of hex digits ({count})")
            }
        }
    }
}

/// Turns hex text into bytes, ignoring whitespace and ':' separators and an optional
/// leading `0x`.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let trimmed = text.trim_start();
    let (skipped, body) = match trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
    {
        Some(rest) => (text.len() - rest.len(), rest),
        None => (0, text),
    };
    let mut bytes = Vec::with_capacity(body.len() / 2);
    let mut high: Option<u8> = None;
    let mut digits = 0usize;
    for (index, character) in body.chars().enumerate() {
        if character.is_whitespace() || character == ':' {
            continue;
        }
        let Some(nibble) = character.to_digit(16) else {
            return Err(HexError::InvalidCharacter {
                character,
                position: skipped + index + 1,
            });
        };
        digits += 1;
        let nibble = nibble as u8;
        match high.take() {
            None => high = Some(nibble),
            Some(h) => bytes.push(h << 4 | nibble),
        }
    }
    if digits == 0 {
        return Err(HexError::Empty);
    }
    if high.is_some() {
        return Err(HexError::OddDigits { count: digits });
    }
    Ok(bytes)
}

/// The BGP header length (marker, length, type).
pub const HEADER_LEN: usize = 19;
const MARKER: [u8; 16] = [0xff; 16];

/// BGP message type codes (RFC 4271, RFC 2918, and ExaBGP's OPERATIONAL).
pub mod message_type {
    pub const OPEN: u8 = 1;
    pub const UPDATE: u8 = 2;
    pub const NOTIFICATION: u8 = 3;
    pub const KEEPALIVE: u8 = 4;
    pub const ROUTE_REFRESH: u8 = 5;
    pub const OPERATIONAL: u8 = 6;
}

/// A message cut out of the input: its type and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a> {
    pub message_type: u8,
    /// The 19-byte header when the input had one (with or without marker it is rebuilt
    /// by the caller if needed; here it is only present when the marker was given).
    pub header: Option<&'a [u8]>,
    pub body: &'a [u8],
}

/// The input does not frame as a BGP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The marker is there but the header is cut short.
    ShortHeader { len: usize },
    /// The header's length field disagrees with the number of bytes given.
    LengthMismatch { header: u16, actual: usize },
    /// A KEEPALIVE with a body.
    KeepaliveBody { len: usize },
    /// A NOTIFICATION body without its code and subcode.
    ShortNotification { len: usize },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::ShortHeader { len } => write!(
                f,
                "malformed message: {len} bytes, shorter than the 19-byte BGP header"
            ),
            FrameError::LengthMismatch { header, actual } => write!(
                f,
                "malformed message: the header length is {header} but {actual} bytes were given"
            ),
            FrameError::KeepaliveBody { len } => {
                write!(f, "malformed KEEPALIVE: it has a {len}-byte body")
            }
            FrameError::ShortNotification { len } => write!(
                f,
                "malformed NOTIFICATION: {len}-byte body, shorter than code and subcode"
            ),
        }
    }
}

/// Frames the input: a full message (marker, length, type, body), a header without its
/// marker (length counting the missing marker, type, body), or a body alone, which is an
/// OPEN with `--open` and an UPDATE otherwise.
///
/// A bare body never looks like a marker-less header: for an UPDATE the first two bytes
/// would then be a withdrawn-routes length longer than the body itself.
pub fn frame(bytes: &[u8], kind: InputKind) -> Result<Framed<'_>, FrameError> {
    if let Some(rest) = bytes.strip_prefix(&MARKER) {
        let (length, message_type, body) = match rest {
            [high, low, message_type, body @ ..] => {
                (u16::from_be_bytes([*high, *low]), *message_type, body)
            }
            _ => return Err(FrameError::ShortHeader { len: bytes.len() }),
        };
        if usize::from(length) != bytes.len() {
            return Err(FrameError::LengthMismatch {
                header: length,
                actual: bytes.len(),
            });
        }
        return Ok(Framed {
            message_type,
            header: bytes.get(..HEADER_LEN),
            body,
        });
    }
    if let [high, low, message_type @ 1..=6, body @ ..] = bytes {
        if usize::from(u16::from_be_bytes([*high, *low])) == bytes.len() + MARKER.len() {
            return Ok(Framed {
                message_type: *message_type,
                header: None,
                body,
            });
        }
    }
    let message_type = match kind {
        InputKind::Open => message_type::OPEN,
        InputKind::Update | InputKind::Nlri => message_type::UPDATE,
    };
    Ok(Framed {
        message_type,
        header: None,
        body: bytes,
    })
}

/// The context `rexa decode` decodes with: the negotiated session and the neighbor the
/// events are about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeContext {
    pub negotiated: Negotiated,
    pub neighbor: NeighborIdentity,
    pub kind: InputKind,
    /// The family of bare NLRI (`-n`).
    pub nlri_family: Family,
}

/// A [`DecodeContext`] together with how UPDATEs are written (AIGP is listed only for a
/// configured neighbor with `aigp` enabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeSetup {
    pub context: DecodeContext,
    pub json: UpdateJsonOptions,
}

impl DecodeSetup {
    /// The context and JSON options the command line asks for (see
    /// [`DecodeContext::from_options`] and [`DecodeContext::from_neighbor`]).
    pub fn from_options(options: &DecodeOptions) -> Result<DecodeSetup, DecodeCliError> {
        if let Some(path) = &options.configuration {
            let config = crate::config::load(
                std::path::Path::new(path),
                &crate::config::ParseOptions::default(),
            )
            .map_err(DecodeCliError::Configuration)?;
            let neighbor = config
                .neighbors
                .first()
                .ok_or_else(|| DecodeCliError::NoNeighbor(path.clone()))?;
            return Ok(DecodeSetup {
                context: DecodeContext::from_neighbor(neighbor, options),
                json: UpdateJsonOptions {
                    aigp: neighbor.capabilities.aigp,
                    ..UpdateJsonOptions::default()
                },
            });
        }
        Ok(DecodeSetup {
            context: DecodeContext::from_options(options)?,
            json: UpdateJsonOptions::default(),
        })
    }
}

/// The families `rexa decode` enables when `-f` does not restrict them.
pub const DECODE_FAMILIES: &[Family] = &[
    Family::IPV4_UNICAST,
    Family::IPV4_MULTICAST,
    Family::IPV4_NLRI_MPLS,
    Family::IPV4_MPLS_VPN,
    Family::IPV4_FLOW,
    Family::IPV4_FLOW_VPN,
    Family::IPV6_UNICAST,
    Family::IPV6_MULTICAST,
    Family::IPV6_NLRI_MPLS,
    Family::IPV6_MPLS_VPN,
    Family::IPV6_FLOW,
    Family::IPV6_FLOW_VPN,
    Family::L2VPN_VPLS,
    Family::L2VPN_EVPN,
];

/// The synthetic neighbor of ExaBGP's decoder: 127.0.0.1 both sides, AS 65533, router-id
/// 10.0.0.2 (ExaBGP 5.0.15).
pub fn decode_neighbor() -> NeighborIdentity {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    NeighborIdentity {
        local_address: loopback,
        peer_address: loopback,
        local_asn: 65533,
        peer_asn: 65533,
        router_id: Some(Ipv4Addr::new(10, 0, 0, 2)),
    }
}

impl DecodeContext {
    /// ExaBGP's decoder defaults, adjusted by `-f`, `-i` and `-n`.
    /// With `-c`, the context of the configuration's first neighbor
    /// ([`DecodeContext::from_neighbor`]).
    pub fn from_options(options: &DecodeOptions) -> Result<DecodeContext, DecodeCliError> {
        if options.configuration.is_some() {
            return Ok(DecodeSetup::from_options(options)?.context);
        }
        let families: Vec<Family> = match options.family {
            Some(family) => vec![family],
            None => DECODE_FAMILIES.to_vec(),
        };
        let negotiated = Negotiated {
            addpath_receive: if options.path_information {
                families.clone()
            } else {
                Vec::new()
            },
            families,
            ..Negotiated::default()
        };
        Ok(DecodeContext {
            negotiated,
            neighbor: decode_neighbor(),
            kind: options.kind,
            nlri_family: options.family.unwrap_or(Family::IPV4_UNICAST),
        })
    }

    /// The context of a configured neighbor receiving from its peer, as if the peer had
    /// sent back the same capabilities (what ExaBGP's `decode -c` assumes): 4-octet AS
    /// unless disabled, ADD-PATH on the `add-path` families (all of the neighbor's when
    /// there is no such block) when the neighbor receives path identifiers, its extended
    /// next-hops, and its identity for the `neighbor` object. `-f` and `-i` still apply.
    pub fn from_neighbor(neighbor: &Neighbor, options: &DecodeOptions) -> DecodeContext {
        let capabilities = &neighbor.capabilities;
        let families: Vec<Family> = match options.family {
            Some(family) => vec![family],
            None => neighbor.families.clone(),
        };
        let receives_paths = matches!(
            capabilities.add_path,
            ConfigAddPath::Receive | ConfigAddPath::SendReceive
        );
        let addpath_receive: Vec<Family> = if options.path_information {
            families.clone()
        } else if !receives_paths {
            Vec::new()
        } else if neighbor.add_path.is_empty() {
            families.clone()
        } else {
            neighbor.add_path.iter().map(|entry| entry.family).collect()
        };
        let extended_nexthop = if capabilities.nexthop {
            neighbor
                .nexthop
                .iter()
                .map(|entry| (entry.family, entry.nexthop_afi))
                .collect()
        } else {
            Vec::new()
        };
        let negotiated = Negotiated {
            asn4: capabilities.asn4,
            addpath_send: addpath_receive.clone(),
            addpath_receive,
            families,
            extended_nexthop,
            max_message_size: if capabilities.extended_message {
                EXTENDED_MAX_MESSAGE
            } else {
                STANDARD_MAX_MESSAGE
            },
        };
        let loopback = if neighbor.peer_address.is_ipv4() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
        };
        let asn = |setting: AsnSetting, other: AsnSetting| match (setting, other) {
            (AsnSetting::Asn(n), _) | (AsnSetting::Auto, AsnSetting::Asn(n)) => n,
            (AsnSetting::Auto, AsnSetting::Auto) => 0,
        };
        let identity = NeighborIdentity {
            local_address: neighbor.local_address.unwrap_or(loopback),
            peer_address: neighbor.peer_address,
            local_asn: asn(neighbor.local_as, neighbor.peer_as),
            peer_asn: asn(neighbor.peer_as, neighbor.local_as),
            router_id: Some(neighbor.router_id),
        };
        DecodeContext {
            negotiated,
            neighbor: identity,
            kind: options.kind,
            nlri_family: options.family.unwrap_or(Family::IPV4_UNICAST),
        }
    }
}

/// Decodes `bytes` (a message, or NLRI with `-n`) and appends its JSON, one line per
/// event or NLRI, each ending with a newline.
pub fn write_decoded(
    bytes: &[u8],
    ctx: &DecodeContext,
    envelope: &Envelope<'_>,
    out: &mut Vec<u8>,
) -> Result<(), DecodeCliError> {
    write_decoded_with(bytes, ctx, UpdateJsonOptions::default(), envelope, out)
}

/// [`write_decoded`] with explicit UPDATE JSON options (see [`DecodeSetup`]).
pub fn write_decoded_with(
    bytes: &[u8],
    ctx: &DecodeContext,
    json: UpdateJsonOptions,
    envelope: &Envelope<'_>,
    out: &mut Vec<u8>,
) -> Result<(), DecodeCliError> {
    if ctx.kind == InputKind::Nlri {
        return write_nlri_lines(bytes, ctx, out);
    }
    let framed = frame(bytes, ctx.kind)?;
    write_message(&framed, ctx, json, envelope, out)?;
    out.push(b'\n');
    Ok(())
}

fn write_message(
    framed: &Framed<'_>,
    ctx: &DecodeContext,
    json: UpdateJsonOptions,
    envelope: &Envelope<'_>,
    out: &mut Vec<u8>,
) -> Result<(), DecodeCliError> {
    let kind = message_json::event_type(framed.message_type).ok_or_else(|| {
        DecodeCliError::NotSupported(format!("BGP message type {}", framed.message_type))
    })?;
    let head = EventHead {
        envelope,
        counter: 1,
        kind,
        raw: None,
        neighbor: &ctx.neighbor,
    };
    let direction = Direction::In;
    let malformed = |message: &'static str| {
        move |error: DecodeError| DecodeCliError::Malformed { message, error }
    };
    match framed.message_type {
        message_type::KEEPALIVE => {
            if !framed.body.is_empty() {
                return Err(DecodeCliError::Frame(FrameError::KeepaliveBody {
                    len: framed.body.len(),
                }));
            }
            message_json::write_keepalive(out, &head, direction);
        }
        message_type::NOTIFICATION => {
            let notification = Notification::decode(framed.body)
                .map_err(|e| malformed("NOTIFICATION")(e.into()))?;
            message_json::write_notification(out, &head, direction, &notification);
        }
        message_type::OPEN => {
            let open = Open::decode(framed.body).map_err(|e| malformed("OPEN")(e.into()))?;
            message_json::write_open_event(out, &head, direction, &open);
        }
        message_type::ROUTE_REFRESH => {
            let refresh = RouteRefresh::decode(framed.body)
                .map_err(|e| malformed("ROUTE-REFRESH")(e.into()))?;
            message_json::write_refresh(out, &head, direction, &refresh);
        }
        message_type::OPERATIONAL => {
            let operational =
                Operational::decode(framed.body).map_err(|e| malformed("OPERATIONAL")(e.into()))?;
            message_json::write_operational(out, &head, direction, &operational);
        }
        _ => {
            let (update, error) =
                crate::bgp::update::Update::decode_rfc7606(framed.body, &ctx.negotiated)
                    .map_err(malformed("UPDATE"))?
                    .into_parts();
            message_json::write_update_event(out, &head, direction, &update, error, json);
        }
    }
    Ok(())
}

/// `-n`: one JSON object per NLRI, each on its own line.
fn write_nlri_lines(
    bytes: &[u8],
    ctx: &DecodeContext,
    out: &mut Vec<u8>,
) -> Result<(), DecodeCliError> {
    let family = ctx.nlri_family;
    if is_flow_family(family) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let (route, used) =
                FlowNlri::decode_one(rest, family).map_err(|error| DecodeCliError::Malformed {
                    message: "NLRI",
                    error: NlriError::Flow { family, error }.into(),
                })?;
            message_json::write_flow_nlri(
                &mut crate::api::json::JsonWriter::new(out),
                &route,
                None,
            );
            out.push(b'\n');
            rest = rest.get(used..).unwrap_or(&[]);
        }
        return Ok(());
    }
    if family == crate::bgp::linkstate::BGP_LS_FAMILY {
        let routes =
            crate::bgp::linkstate::LinkStateNlri::decode_all(bytes, family).map_err(|e| {
                DecodeCliError::Malformed {
                    message: "NLRI",
                    error: e.into(),
                }
            })?;
        for route in &routes {
            out.extend_from_slice(message_json::linkstate_nlri_json(route, None).as_bytes());
            out.push(b'\n');
        }
        return Ok(());
    }
    let kind = NlriKind::of(family)
        .ok_or_else(|| DecodeCliError::NotSupported(format!("decoding bare {family} NLRI")))?;
    let addpath = ctx.negotiated.addpath_receive(family);
    let routes = NlriIter::new(bytes, kind, family, addpath, false);
    message_json::write_nlri_lines(out, routes).map_err(|e| DecodeCliError::Malformed {
        message: "NLRI",
        error: e.into(),
    })?;
    Ok(())
}

fn run(args: Vec<OsString>) -> Result<Option<Vec<u8>>, DecodeCliError> {
    let options = match parse_args(args)? {
        Request::Help => return Ok(None),
        Request::Decode(options) => options,
    };
    let setup = DecodeSetup::from_options(&options)?;
    let text = match &options.hex {
        Some(hex) => hex.clone(),
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(DecodeCliError::Stdin)?;
            text
        }
    };
    let bytes = parse_hex(&text)?;
    let host = crate::api::json::host_name();
    let envelope = Envelope {
        version: FORMAT_VERSION_5,
        time: crate::api::json::now_seconds(),
        host: &host,
        pid: std::process::id(),
        ppid: std::os::unix::process::parent_id(),
    };
    let mut out = Vec::new();
    write_decoded_with(&bytes, &setup.context, setup.json, &envelope, &mut out)?;
    Ok(Some(out))
}

pub fn main(args: Vec<OsString>) -> ExitCode {
    match run(args) {
        Ok(None) => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Ok(Some(json)) => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(&json).and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("rexa decode: cannot write the output: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Err(e) => {
            eprintln!("rexa decode: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn options(list: &[&str]) -> DecodeOptions {
        match parse_args(args(list)).unwrap() {
            Request::Decode(options) => options,
            Request::Help => panic!("unexpected help"),
        }
    }

    #[test]
    fn exabgp_options() {
        let o = options(&["-f", "ipv4 mpls-vpn", "-i", "--update", "FFFF", "0000"]);
        assert_eq!(o.family, Some(Family::IPV4_MPLS_VPN));
        assert!(o.path_information);
        assert_eq!(o.kind, InputKind::Update);
        assert_eq!(o.hex.as_deref(), Some("FFFF0000"));
        let o = options(&["--family=ipv6/unicast", "--nlri", "-d", "--pdb", "18C63364"]);
        assert_eq!(o.family, Some(Family::IPV6_UNICAST));
        assert_eq!(o.kind, InputKind::Nlri);
        let o = options(&["-o", "--configuration", "x.conf"]);
        assert_eq!(o.kind, InputKind::Open);
        assert_eq!(o.configuration.as_deref(), Some("x.conf"));
        assert_eq!(o.hex, None);
        assert_eq!(parse_args(args(&["--help"])).unwrap(), Request::Help);
        assert!(matches!(
            parse_args(args(&["-f", "ipv9 unicast"])),
            Err(DecodeCliError::UnknownFamily(_))
        ));
        assert!(matches!(
            parse_args(args(&["--bogus"])),
            Err(DecodeCliError::Arguments(_))
        ));
        assert!(matches!(
            parse_args(args(&["-g"])),
            Err(DecodeCliError::UnsupportedOption(_))
        ));
    }

    #[test]
    fn configuration_errors_are_reported() {
        let o = options(&["-c", "/nonexistent/x.conf", "00000000"]);
        let error = DecodeContext::from_options(&o).unwrap_err();
        assert!(matches!(error, DecodeCliError::Configuration(_)), "{error}");
        assert!(error.to_string().starts_with("-c: "), "{error}");
    }

    #[test]
    fn context_from_a_configured_neighbor() {
        let config = crate::config::parse(
            "neighbor 10.0.0.1 { router-id 1.2.3.4; local-address 10.0.0.2; local-as 1; \
             peer-as 2; capability { add-path send/receive; asn4 disable; aigp enable; } \
             family { ipv4 unicast; ipv6 unicast; } add-path { ipv6 unicast; } }",
            "test.conf",
        )
        .unwrap();
        let neighbor = config.neighbors.first().unwrap();
        let ctx = DecodeContext::from_neighbor(neighbor, &DecodeOptions::default());
        assert!(!ctx.negotiated.asn4);
        assert_eq!(ctx.negotiated.addpath_receive, vec![Family::IPV6_UNICAST]);
        assert_eq!(
            ctx.negotiated.families,
            vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]
        );
        assert_eq!(ctx.neighbor.local_asn, 1);
        assert_eq!(ctx.neighbor.peer_asn, 2);
        assert_eq!(ctx.neighbor.router_id, Some(Ipv4Addr::new(1, 2, 3, 4)));
        assert_eq!(ctx.neighbor.peer_address.to_string(), "10.0.0.1");
        assert_eq!(ctx.neighbor.local_address.to_string(), "10.0.0.2");
        let text = "neighbor 10.0.0.1 { router-id 1.2.3.4; local-as 1; peer-as 2; capability { aigp enable; } }";
        let path = std::env::temp_dir().join(format!("rexa-decode-{}.conf", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let options = DecodeOptions {
            configuration: Some(path.display().to_string()),
            ..DecodeOptions::default()
        };
        let setup = DecodeSetup::from_options(&options);
        let _ = std::fs::remove_file(&path);
        assert!(setup.unwrap().json.aigp);
    }

    #[test]
    fn hex_forms() {
        assert_eq!(
            parse_hex("FFff:0017 02\n").unwrap(),
            vec![0xff, 0xff, 0, 0x17, 2]
        );
        assert_eq!(parse_hex(" 0x0a0B").unwrap(), vec![0x0a, 0x0b]);
        assert_eq!(parse_hex(" : "), Err(HexError::Empty));
        assert_eq!(parse_hex("abc"), Err(HexError::OddDigits { count: 3 }));
        assert_eq!(
            parse_hex("ab zz"),
            Err(HexError::InvalidCharacter {
                character: 'z',
                position: 4
            })
        );
        assert_eq!(
            parse_hex("0xag"),
            Err(HexError::InvalidCharacter {
                character: 'g',
                position: 4
            })
        );
        assert!(matches!(
            parse_hex("é"),
            Err(HexError::InvalidCharacter { .. })
        ));
    }

    proptest::proptest! {
        /// Any bytes, as any kind of input, with or without ADD-PATH: valid JSON lines or
        /// an error, never a panic.
        #[test]
        fn never_panics(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            message_type in 0u8..8,
            kind in 0u8..3,
            path_information in proptest::prelude::any::<bool>(),
        ) {
            let options = DecodeOptions {
                kind: [InputKind::Update, InputKind::Open, InputKind::Nlri][usize::from(kind)],
                path_information,
                ..DecodeOptions::default()
            };
            let ctx = DecodeContext::from_options(&options).unwrap();
            let envelope = Envelope {
                version: FORMAT_VERSION_5,
                time: 0.0,
                host: "h",
                pid: 0,
                ppid: 0,
            };
            let mut framed = MARKER.to_vec();
            framed.extend_from_slice(&((body.len() + HEADER_LEN) as u16).to_be_bytes());
            framed.push(message_type);
            framed.extend_from_slice(&body);
            for input in [&body, &framed] {
                let mut out = Vec::new();
                if write_decoded(input, &ctx, &envelope, &mut out).is_ok() {
                    let text = std::str::from_utf8(&out).unwrap();
                    for line in text.lines() {
                        let parsed = serde_json::from_str::<serde_json::Value>(line);
                        proptest::prop_assert!(parsed.is_ok(), "invalid JSON: {line}");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// UPDATEs made of random attributes (known codes, random flags and values) and
        /// random NLRI: the JSON of whatever decodes is valid.
        #[test]
        fn random_attributes_give_valid_json(
            attributes in proptest::collection::vec(
                (
                    proptest::prelude::any::<u8>(),
                    proptest::sample::select(vec![
                        1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 22, 25, 26, 32,
                        40, 99,
                    ]),
                    proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
                ),
                0..6,
            ),
            nlri in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
        ) {
            let mut field = Vec::new();
            for (flags, code, value) in &attributes {
                field.push(flags & !0x10);
                field.push(*code);
                field.push(value.len() as u8);
                field.extend_from_slice(value);
            }
            let mut body = vec![0, 0];
            body.extend_from_slice(&(field.len() as u16).to_be_bytes());
            body.extend_from_slice(&field);
            body.extend_from_slice(&nlri);
            let ctx = DecodeContext::from_options(&DecodeOptions::default()).unwrap();
            let envelope = Envelope {
                version: FORMAT_VERSION_5,
                time: 0.0,
                host: "h",
                pid: 0,
                ppid: 0,
            };
            let mut out = Vec::new();
            if write_decoded(&body, &ctx, &envelope, &mut out).is_ok() {
                let text = std::str::from_utf8(&out).unwrap();
                let parsed = serde_json::from_str::<serde_json::Value>(text.trim_end());
                proptest::prop_assert!(parsed.is_ok(), "invalid JSON: {text}");
            }
        }
    }

    #[test]
    fn framing() {
        let mut full = vec![0xff; 16];
        full.extend_from_slice(&[0, 23, 2, 0, 0, 0, 0]);
        let framed = frame(&full, InputKind::Update).unwrap();
        assert_eq!(framed.message_type, 2);
        assert_eq!(framed.body, &[0, 0, 0, 0]);
        assert_eq!(framed.header.map(<[u8]>::len), Some(19));
        // Without the marker.
        let framed = frame(&full[16..], InputKind::Open).unwrap();
        assert_eq!((framed.message_type, framed.body), (2, &[0u8, 0, 0, 0][..]));
        // A body alone.
        let framed = frame(&[0, 0, 0, 0], InputKind::Update).unwrap();
        assert_eq!((framed.message_type, framed.body.len()), (2, 4));
        let framed = frame(&[4, 0xff, 0xfd], InputKind::Open).unwrap();
        assert_eq!(framed.message_type, 1);
        // Errors.
        assert_eq!(
            frame(&full[..18], InputKind::Update),
            Err(FrameError::ShortHeader { len: 18 })
        );
        full.push(0);
        assert_eq!(
            frame(&full, InputKind::Update),
            Err(FrameError::LengthMismatch {
                header: 23,
                actual: 24
            })
        );
    }
}
