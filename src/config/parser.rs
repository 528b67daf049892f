//! Top level of a configuration file (config.md §2, §11.1): `process`, `template`, `neighbor`,
//! template inheritance, and the checks that span blocks (duplicates, api process names).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::error::{ConfigError, ErrorKind, Location, Warning, WarningKind};
use super::lexer::{self, Node};
use super::model::*;
use super::neighbor::{self, expect_block, expect_leaf, unknown, words, Ctx, Draft};
use super::value;

/// Options that come from outside the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// `exabgp.bgp.passive` (or `--passive`): every neighbor is passive, so ranges are allowed.
    pub assume_passive: bool,
}

const ROOT_KEYWORDS: &[&str] = &["process", "template", "neighbor"];

pub fn parse(text: &str, file_name: &str, options: &ParseOptions) -> Result<Config, ConfigError> {
    let file: Arc<str> = Arc::from(file_name);
    let mut warnings: Vec<Warning> = Vec::new();
    let statements = lexer::tokenize(&file, text)?;
    if statements.is_empty() {
        return Err(ConfigError::new(
            Location::new(file.clone(), 1, 1),
            ErrorKind::Empty,
        ));
    }
    let tree = lexer::build_tree(&file, statements, &mut warnings)?;
    let mut ctx = Ctx {
        file: &file,
        warnings: &mut warnings,
    };
    let mut processes: Vec<Process> = Vec::new();
    let mut templates: HashMap<String, Draft> = HashMap::new();
    let mut neighbors: Vec<Neighbor> = Vec::new();
    for node in &tree {
        match node.keyword() {
            "process" => {
                let process = process_block(&mut ctx, node)?;
                if processes.iter().any(|p| p.name == process.name) {
                    return Err(ConfigError::new(
                        ctx.node_loc(node),
                        ErrorKind::DuplicateName {
                            what: "process",
                            name: process.name,
                        },
                    ));
                }
                processes.push(process);
            }
            "template" => {
                for child in expect_block(&ctx, node)? {
                    if child.keyword() != "neighbor" {
                        return Err(unknown(&ctx, child, "template", &["neighbor"]));
                    }
                    let inner = expect_block(&ctx, child)?;
                    let mut w = words(ctx.file, child);
                    let name_token = w.value("neighbor", "a template name")?;
                    w.end("neighbor")?;
                    if !value::is_valid_name(&name_token.text) {
                        return Err(w.error_at(
                            name_token,
                            ErrorKind::InvalidName {
                                what: "template",
                                name: name_token.text.clone(),
                            },
                        ));
                    }
                    if templates.contains_key(&name_token.text) {
                        return Err(w.error_at(
                            name_token,
                            ErrorKind::DuplicateName {
                                what: "template",
                                name: name_token.text.clone(),
                            },
                        ));
                    }
                    let mut draft = Draft::default();
                    neighbor::parse_body(&mut ctx, inner, &mut draft)?;
                    templates.insert(name_token.text.clone(), draft);
                }
            }
            "neighbor" => {
                let n = neighbor_block(&mut ctx, node, &templates, options)?;
                neighbors.push(n);
            }
            _ => {
                if node.children.is_none() {
                    // A stray leaf statement at the top level.
                    expect_block(&ctx, node).map(|_| ())?;
                }
                return Err(unknown(&ctx, node, "the top level", ROOT_KEYWORDS));
            }
        }
    }
    check_duplicates(&neighbors)?;
    resolve_api(&mut neighbors, &processes)?;
    Ok(Config {
        file: file_name.to_string(),
        processes,
        neighbors,
        warnings,
    })
}

fn process_block(ctx: &mut Ctx, node: &Node) -> Result<Process, ConfigError> {
    const KEYWORDS: &[&str] = &["run", "encoder", "respawn"];
    let children = expect_block(ctx, node)?;
    let mut w = words(ctx.file, node);
    let name_token = w.value("process", "a process name")?;
    w.end("process")?;
    let mut run: Option<Vec<String>> = None;
    let mut encoder = None;
    let mut respawn = true;
    for child in children {
        let k = child.keyword();
        if !KEYWORDS.contains(&k) {
            return Err(unknown(ctx, child, "process", KEYWORDS));
        }
        expect_leaf(ctx, child)?;
        let mut w = words(ctx.file, child);
        match k {
            "run" => {
                let mut argv = Vec::new();
                while let Some(t) = w.advance() {
                    argv.push(t.text.clone());
                }
                if argv.is_empty() {
                    return Err(ConfigError::new(
                        w.here(),
                        ErrorKind::MissingValue {
                            keyword: "run".into(),
                            expected: "a program and its arguments",
                        },
                    ));
                }
                run = Some(argv);
            }
            "encoder" => {
                let t = w.value(k, "text or json")?;
                encoder = Some(match t.text.as_str() {
                    "text" => Encoder::Text,
                    "json" => Encoder::Json,
                    _ => return Err(w.invalid(t, k, "text or json")),
                });
                w.end(k)?;
            }
            _ => respawn = value::boolean(&mut w, k, true)?,
        }
    }
    let Some(run) = run else {
        return Err(ConfigError::new(
            ctx.node_loc(node),
            ErrorKind::Incomplete {
                what: "process",
                missing: vec!["run"],
            },
        ));
    };
    Ok(Process {
        name: name_token.text.clone(),
        run,
        encoder,
        respawn,
        location: ctx.node_loc(node),
    })
}

fn neighbor_block(
    ctx: &mut Ctx,
    node: &Node,
    templates: &HashMap<String, Draft>,
    options: &ParseOptions,
) -> Result<Neighbor, ConfigError> {
    let children = expect_block(ctx, node)?;
    let mut w = words(ctx.file, node);
    let t = w.value("neighbor", "the peer address (ip or ip/len)")?;
    let (addr_text, len_text) = match t.text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (t.text.as_str(), None),
    };
    let peer: IpAddr = addr_text
        .parse()
        .map_err(|_| w.invalid(t, "neighbor", "the peer address (ip or ip/len)"))?;
    let max = if peer.is_ipv4() { 32 } else { 128 };
    let len = match len_text {
        None => max,
        Some(l) => l.parse::<u8>().ok().filter(|n| *n <= max).ok_or_else(|| {
            w.invalid(
                t,
                "neighbor",
                "a prefix length of 0..32 (IPv4) or 0..128 (IPv6)",
            )
        })?,
    };
    w.end("neighbor")?;
    let mut draft = Draft::default();
    neighbor::parse_body(ctx, children, &mut draft)?;
    let mut inherited = Vec::new();
    for (name, at) in std::mem::take(&mut draft.inherit) {
        if name == "," {
            continue;
        }
        match templates.get(&name) {
            Some(template) => {
                neighbor::merge_template(ctx, &mut draft, template, &name, &at);
                inherited.push(name);
            }
            None => ctx.warn(at, WarningKind::UnknownTemplate { name }),
        }
    }
    neighbor::finish(
        draft,
        peer,
        len,
        inherited,
        ctx.node_loc(node),
        options.assume_passive,
    )
}

fn check_duplicates(neighbors: &[Neighbor]) -> Result<(), ConfigError> {
    for (i, n) in neighbors.iter().enumerate() {
        for earlier in neighbors.iter().take(i) {
            let same = if n.listen != 0 || earlier.listen != 0 {
                n.peer_address == earlier.peer_address
                    && n.peer_prefix_len == earlier.peer_prefix_len
                    && n.listen == earlier.listen
            } else {
                n.peer_address == earlier.peer_address
                    && n.peer_prefix_len == earlier.peer_prefix_len
                    && n.local_address == earlier.local_address
                    && n.local_as == earlier.local_as
                    && n.peer_as == earlier.peer_as
                    && n.router_id == earlier.router_id
                    && (!n.capabilities.multi_session || n.families == earlier.families)
            };
            if same {
                return Err(ConfigError::new(
                    n.location.clone(),
                    ErrorKind::DuplicateNeighbor {
                        peer: n.peer_text(),
                    },
                ));
            }
        }
    }
    Ok(())
}

fn resolve_api(neighbors: &mut [Neighbor], processes: &[Process]) -> Result<(), ConfigError> {
    for n in neighbors.iter_mut() {
        let peer = n.peer_text();
        let location = n.location.clone();
        for api in &mut n.api {
            match &mut api.processes {
                ProcessSelector::Names(names) => {
                    names.retain(|name| name != ",");
                    for name in names.iter() {
                        if !processes.iter().any(|p| &p.name == name) {
                            return Err(ConfigError::new(
                                location.clone(),
                                ErrorKind::UndefinedProcess {
                                    name: name.clone(),
                                    neighbor: peer.clone(),
                                },
                            ));
                        }
                    }
                }
                ProcessSelector::Match { patterns, matched } => {
                    patterns.retain(|p| p != ",");
                    for p in processes {
                        if patterns.iter().any(|re| regex_match(re, &p.name)) {
                            matched.push(p.name.clone());
                        }
                    }
                    if matched.is_empty() {
                        return Err(ConfigError::new(
                            location.clone(),
                            ErrorKind::NoProcessMatch {
                                patterns: patterns.join(" "),
                                neighbor: peer.clone(),
                            },
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// A small regular-expression matcher (search semantics like Python's `re.match`
/// anchored at the start): literals, `.`, `*`, `+`, `?`, `^`, `$`, `\` escapes and
/// `[...]` classes with ranges and `^` negation.
pub fn regex_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let pattern = match pattern.split_first() {
        Some(('^', rest)) => rest,
        _ => &pattern[..],
    };
    match_here(pattern, &text, 0)
}

/// Tests one character against a pattern atom.
type CharTest<'a> = Box<dyn Fn(char) -> bool + 'a>;

/// One pattern atom: its length in the pattern and whether it matches a character.
fn atom(pattern: &[char]) -> Option<(usize, CharTest<'_>)> {
    match pattern.first()? {
        '.' => Some((1, Box::new(|_| true))),
        '\\' => {
            let c = *pattern.get(1)?;
            Some((
                2,
                Box::new(move |x| match c {
                    'd' => x.is_ascii_digit(),
                    'w' => x.is_alphanumeric() || x == '_',
                    's' => x.is_whitespace(),
                    _ => x == c,
                }),
            ))
        }
        '[' => {
            let end = pattern.iter().skip(2).position(|c| *c == ']')? + 2;
            let body = pattern.get(1..end)?;
            let (negate, body) = match body.split_first() {
                Some(('^', rest)) => (true, rest),
                _ => (false, body),
            };
            Some((
                end + 1,
                Box::new(move |x| {
                    let mut found = false;
                    let mut i = 0;
                    while i < body.len() {
                        let lo = body[i];
                        if body.get(i + 1) == Some(&'-') && i + 2 < body.len() {
                            if lo <= x && x <= body[i + 2] {
                                found = true;
                            }
                            i += 3;
                        } else {
                            if lo == x {
                                found = true;
                            }
                            i += 1;
                        }
                    }
                    found != negate
                }),
            ))
        }
        c => {
            let c = *c;
            Some((1, Box::new(move |x| x == c)))
        }
    }
}

fn match_here(pattern: &[char], text: &[char], depth: usize) -> bool {
    if depth > 1000 {
        return false;
    }
    let Some(first) = pattern.first() else {
        return true;
    };
    if *first == '$' && pattern.len() == 1 {
        return text.is_empty();
    }
    let Some((len, matches)) = atom(pattern) else {
        return false;
    };
    let rest = pattern.get(len..).unwrap_or(&[]);
    match rest.first() {
        Some('*') | Some('+') | Some('?') => {
            let quant = rest.first().copied().unwrap_or('*');
            let after = rest.get(1..).unwrap_or(&[]);
            let min = usize::from(quant == '+');
            let max = if quant == '?' { 1 } else { usize::MAX };
            let mut count = 0;
            while count < max && text.get(count).is_some_and(|c| matches(*c)) {
                count += 1;
            }
            (min..=count)
                .rev()
                .any(|n| match_here(after, text.get(n..).unwrap_or(&[]), depth + 1))
        }
        _ => match text.split_first() {
            Some((c, tail)) if matches(*c) => match_here(rest, tail, depth + 1),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex() {
        assert!(regex_match("^log-.*", "log-a"));
        assert!(!regex_match("^log-.*", "xlog-a"));
        assert!(regex_match("api", "api-x"));
        assert!(regex_match("^a[0-9]+$", "a12"));
        assert!(!regex_match("^a[0-9]+$", "a12b"));
        assert!(regex_match(".*", ""));
        assert!(!regex_match("[", "x"));
    }
}
