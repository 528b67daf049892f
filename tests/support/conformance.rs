//! ExaBGP's conformance data for tests: locating `tests/data/exabgp`, parsing the
//! decoding vectors and the encoding `.ci` files, and comparing JSON structurally.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The conformance directory: `$REXA_CONFORMANCE`, else the copy kept in the repository,
/// `<repo>/tests/data/exabgp` (ExaBGP's licence and source commit are beside it).
/// Panics with a clear message when it does not exist.
pub fn conformance_dir() -> PathBuf {
    let dir = match std::env::var_os("REXA_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exabgp"),
    };
    assert!(
        dir.is_dir(),
        "conformance data not found at {} (set REXA_CONFORMANCE to the directory holding \
         decoding/, encoding/ and configs/)",
        dir.display()
    );
    dir
}

/// The sorted files of one conformance sub-directory whose name passes `keep`.
fn files_in(sub: &str, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let dir = conformance_dir().join(sub);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file())
        .filter(|path| path.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
        .collect();
    files.sort();
    files
}

/// Every configuration of ExaBGP's corpus (`configs/`), sorted.
pub fn config_files() -> Vec<PathBuf> {
    let files = files_in("configs", |_| true);
    assert!(
        !files.is_empty(),
        "no configuration in the conformance configs/"
    );
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned()
}

/// Bytes as upper-case hex without separators, as the `.ci` files write them.
pub fn hex_string(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02X}");
    }
    text
}

/// Hex with spaces and ':' separators to bytes; `None` if it is not hex.
pub fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// One file of `conformance/decoding`.
#[derive(Debug, Clone)]
pub struct DecodingVector {
    pub name: String,
    /// `update`, `open` or `nlri` (line 1, first word).
    pub kind: String,
    /// The family words of line 1 (`"ipv4 unicast"`), when given.
    pub family: Option<String>,
    /// Line 2 as written.
    pub hex: String,
    pub bytes: Vec<u8>,
    /// Line 3, parsed.
    pub json: Value,
}

/// Every decoding vector, sorted by name. Panics on a malformed file.
pub fn decoding_vectors() -> Vec<DecodingVector> {
    files_in("decoding", |_| true)
        .iter()
        .map(|path| parse_decoding_file(path))
        .collect()
}

pub fn parse_decoding_file(path: &Path) -> DecodingVector {
    let name = file_name(path);
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let (Some(first), Some(hex), Some(json)) = (lines.next(), lines.next(), lines.next()) else {
        panic!("{name}: a decoding vector has three lines (kind, hex, JSON)");
    };
    let mut words = first.split_whitespace();
    let kind = words
        .next()
        .unwrap_or_else(|| panic!("{name}: line 1 is empty"))
        .to_owned();
    let family: Vec<&str> = words.collect();
    let family = (!family.is_empty()).then(|| family.join(" "));
    let bytes = hex_bytes(hex).unwrap_or_else(|| panic!("{name}: line 2 is not hex"));
    let json =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: line 3 is not JSON: {e}"));
    DecodingVector {
        name,
        kind,
        family,
        hex: hex.to_owned(),
        bytes,
        json,
    }
}

/// One expectation or action line of a `.ci` file (`[conn]<step>:<kind>:<content>`).
#[derive(Debug, Clone)]
pub struct CiLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// The connection letter, when given (`A1:raw:...`).
    pub connection: Option<char>,
    pub step: u32,
    pub entry: CiEntry,
}

#[derive(Debug, Clone)]
pub enum CiEntry {
    /// The API command that produces the next `raw` message.
    Cmd(String),
    /// A message the daemon must send (marker, length, type and body, separators removed).
    Raw { hex: String, bytes: Vec<u8> },
    /// ExaBGP's JSON on receiving the preceding `raw` UPDATE (`json`, `jsv4` or `jsv6`).
    Json { kind: String, value: Value },
    /// Test-peer actions and anything else (`notification`, `signal`, ...).
    Other { kind: String, content: String },
}

/// One `.ci` file of `conformance/encoding`.
#[derive(Debug, Clone)]
pub struct CiFile {
    pub name: String,
    /// `option:<key>:<value>` lines in order (e.g. `("file", "conf-addpath.conf")`).
    pub options: Vec<(String, String)>,
    pub lines: Vec<CiLine>,
}

/// A `raw:` message followed by the `json:` line describing it.
#[derive(Debug, Clone, Copy)]
pub struct RawJsonPair<'a> {
    pub raw_line: usize,
    pub json_line: usize,
    pub bytes: &'a [u8],
    /// `json`, `jsv4` or `jsv6`.
    pub json_kind: &'a str,
    pub json: &'a Value,
}

impl CiFile {
    /// The configuration files named by `option:file:`, as paths in `conformance/configs`.
    pub fn configurations(&self) -> Vec<PathBuf> {
        let configs = conformance_dir().join("configs");
        self.options
            .iter()
            .filter(|(key, _)| key == "file")
            .map(|(_, value)| configs.join(value))
            .collect()
    }

    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every message the daemon must send, in file order.
    pub fn raw_messages(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.lines.iter().filter_map(|line| match &line.entry {
            CiEntry::Raw { bytes, .. } => Some((line.line, bytes.as_slice())),
            _ => None,
        })
    }

    /// Each JSON line with the `raw` line before it. Panics if a JSON line has none.
    pub fn raw_json_pairs(&self) -> Vec<RawJsonPair<'_>> {
        let mut pairs = Vec::new();
        let mut last_raw: Option<(usize, &[u8])> = None;
        for line in &self.lines {
            match &line.entry {
                CiEntry::Raw { bytes, .. } => last_raw = Some((line.line, bytes)),
                CiEntry::Json { kind, value } => {
                    let (raw_line, bytes) = last_raw.unwrap_or_else(|| {
                        panic!(
                            "{}:{}: json line without a raw line before it",
                            self.name, line.line
                        )
                    });
                    pairs.push(RawJsonPair {
                        raw_line,
                        json_line: line.line,
                        bytes,
                        json_kind: kind,
                        json: value,
                    });
                }
                _ => {}
            }
        }
        pairs
    }
}

/// Every `.ci` file, sorted by name. Panics on a malformed line.
pub fn ci_files() -> Vec<CiFile> {
    files_in("encoding", |name| name.ends_with(".ci"))
        .iter()
        .map(|path| parse_ci_file(path))
        .collect()
}

/// ExaBGP's API scenarios (`api/*.ci`): the same format, their helpers in `configs/run/`.
pub fn api_ci_files() -> Vec<CiFile> {
    files_in("api", |name| name.ends_with(".ci"))
        .iter()
        .map(|path| parse_ci_file(path))
        .collect()
}

pub fn parse_ci_file(path: &Path) -> CiFile {
    let name = file_name(path);
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_ci_text(&name, &text)
}

pub fn parse_ci_text(name: &str, text: &str) -> CiFile {
    let mut file = CiFile {
        name: name.to_owned(),
        options: Vec::new(),
        lines: Vec::new(),
    };
    for (index, raw_line) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw_line.trim();
        // The test peer ignores any line holding '#', and blank lines.
        if line.is_empty() || line.contains('#') {
            continue;
        }
        let Some((head, rest)) = line.split_once(':') else {
            panic!("{name}:{number}: expected <step>:<kind>:<content>");
        };
        if head == "option" {
            let (key, value) = rest.split_once(':').unwrap_or((rest, ""));
            file.options.push((key.to_owned(), value.to_owned()));
            continue;
        }
        let (connection, step) = match head.chars().next() {
            Some(letter) if letter.is_ascii_alphabetic() => (Some(letter), &head[1..]),
            _ => (None, head),
        };
        let step: u32 = step
            .parse()
            .unwrap_or_else(|_| panic!("{name}:{number}: bad step number {head:?}"));
        let (kind, content) = rest.split_once(':').unwrap_or((rest, ""));
        let entry = match kind {
            "cmd" => CiEntry::Cmd(content.to_owned()),
            "raw" => {
                let bytes = hex_bytes(content)
                    .unwrap_or_else(|| panic!("{name}:{number}: raw content is not hex"));
                CiEntry::Raw {
                    hex: content.to_owned(),
                    bytes,
                }
            }
            "json" | "jsv4" | "jsv6" => CiEntry::Json {
                kind: kind.to_owned(),
                value: serde_json::from_str(content)
                    .unwrap_or_else(|e| panic!("{name}:{number}: {kind} is not JSON: {e}")),
            },
            _ => CiEntry::Other {
                kind: kind.to_owned(),
                content: content.to_owned(),
            },
        };
        file.lines.push(CiLine {
            line: number,
            connection,
            step,
            entry,
        });
    }
    file
}

/// The top-level envelope keys that change from run to run, or name ExaBGP's version.
pub const VOLATILE_KEYS: &[&str] = &["time", "host", "pid", "ppid", "counter", "exabgp"];

/// Where two JSON values first differ.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonDifference {
    /// `/neighbor/message/update/announce/ipv4 unicast`, `/.../3` for array items.
    pub path: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for JsonDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at {}: expected {}, got {}",
            if self.path.is_empty() {
                "/"
            } else {
                &self.path
            },
            self.expected,
            self.actual
        )
    }
}

/// Compares parsed JSON, ignoring [`VOLATILE_KEYS`] at the top level and every path in
/// `ignored` (`/neighbor/router-id`). Key order does not matter; array order does.
/// Numbers compare by value (an integer equals the same float).
pub fn json_difference(
    expected: &Value,
    actual: &Value,
    ignored: &[&str],
) -> Option<JsonDifference> {
    let mut path = String::new();
    compare(expected, actual, &mut path, ignored)
}

fn shorten(value: Option<&Value>) -> String {
    match value {
        None => "nothing".to_owned(),
        Some(value) => {
            let text = value.to_string();
            if text.len() > 200 {
                format!(
                    "{}...",
                    &text[..text.char_indices().nth(200).map_or(text.len(), |(i, _)| i)]
                )
            } else {
                text
            }
        }
    }
}

fn compare(
    expected: &Value,
    actual: &Value,
    path: &mut String,
    ignored: &[&str],
) -> Option<JsonDifference> {
    let difference = |path: &str, e: Option<&Value>, a: Option<&Value>| JsonDifference {
        path: path.to_owned(),
        expected: shorten(e),
        actual: shorten(a),
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                if path.is_empty() && VOLATILE_KEYS.contains(&key.as_str()) {
                    continue;
                }
                let length = path.len();
                path.push('/');
                path.push_str(key);
                if !ignored.contains(&path.as_str()) {
                    let found = match (e.get(key), a.get(key)) {
                        (Some(ev), Some(av)) => compare(ev, av, path, ignored),
                        (ev, av) => Some(difference(path, ev, av)),
                    };
                    if found.is_some() {
                        return found;
                    }
                }
                path.truncate(length);
            }
            None
        }
        (Value::Array(e), Value::Array(a)) => {
            for index in 0..e.len().max(a.len()) {
                let length = path.len();
                path.push('/');
                path.push_str(&index.to_string());
                let found = match (e.get(index), a.get(index)) {
                    (Some(ev), Some(av)) => compare(ev, av, path, ignored),
                    (ev, av) => Some(difference(path, ev, av)),
                };
                if found.is_some() {
                    return found;
                }
                path.truncate(length);
            }
            None
        }
        (Value::Number(e), Value::Number(a)) => {
            let same = e == a || (e.as_f64().is_some() && e.as_f64() == a.as_f64());
            (!same).then(|| difference(path, Some(expected), Some(actual)))
        }
        _ => (expected != actual).then(|| difference(path, Some(expected), Some(actual))),
    }
}

#[cfg(test)]
mod self_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hex_round_trips_through_the_ci_form() {
        assert_eq!(
            hex_bytes("FFFF:0013 04"),
            Some(vec![0xFF, 0xFF, 0x00, 0x13, 0x04])
        );
        assert_eq!(hex_string(&[0xFF, 0x00, 0x0a]), "FF000A");
        assert_eq!(hex_bytes("ABC"), None);
        assert_eq!(hex_bytes("GG"), None);
    }

    #[test]
    fn differences_name_the_path() {
        let expected = json!({"exabgp": "6.0.0", "time": 1, "neighbor": {"a": [1, {"b": "x"}], "router-id": "1.1.1.1"}});
        let actual = json!({"exabgp": "5.0.0", "time": 2, "neighbor": {"a": [1, {"b": "y"}], "router-id": "2.2.2.2"}});
        let d = json_difference(&expected, &actual, &["/neighbor/router-id"]).unwrap();
        assert_eq!(d.path, "/neighbor/a/1/b");
        let actual = json!({"neighbor": {"a": [1, {"b": "x"}], "router-id": "1.1.1.1"}});
        assert_eq!(json_difference(&expected, &actual, &[]), None);
        let actual = json!({"neighbor": {"a": [1], "router-id": "1.1.1.1"}});
        assert_eq!(
            json_difference(&expected, &actual, &[]).unwrap().path,
            "/neighbor/a/1"
        );
    }

    #[test]
    fn ci_lines() {
        let file = parse_ci_text(
            "x.ci",
            "option:file:x.conf\n# comment\n1:cmd:announce route 1.0.0.0/8\nA1:raw:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0017:02:00000000\n1:json:{\"a\": \"b c\"}\n2:notification:closing session\n",
        );
        assert_eq!(file.option("file"), Some("x.conf"));
        assert_eq!(file.lines.len(), 4);
        assert_eq!(file.lines[1].connection, Some('A'));
        let pairs = file.raw_json_pairs();
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].bytes.len(), 23);
        assert_eq!(pairs[0].json["a"], "b c");
    }
}
