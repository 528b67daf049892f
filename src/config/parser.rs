//! Top level of a configuration file (config.md §2, §11.1), read as a stream: `process`,
//! `template`, `neighbor` blocks parsed as they close, route statements as they complete.

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
    let mut loader = Loader::new(file_name, options);
    for line in text.split('\n') {
        loader.line(line)?;
    }
    loader.finish()
}

/// Reads a configuration from a stream, one line at a time: each route statement becomes
/// its route as it is read, so only the routes and the statement being read are held.
/// Invalid UTF-8 is replaced, not rejected.
pub fn parse_reader(
    mut reader: impl std::io::BufRead,
    file_name: &str,
    options: &ParseOptions,
) -> Result<Config, ConfigError> {
    let mut loader = Loader::new(file_name, options);
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        buffer.clear();
        let read = reader.read_until(b'\n', &mut buffer).map_err(|e| {
            ConfigError::new(
                Location::new(loader.file.clone(), loader.lines, 0),
                ErrorKind::Io {
                    reason: e.to_string(),
                },
            )
        })?;
        if read == 0 {
            break;
        }
        let line = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        match std::str::from_utf8(line) {
            Ok(text) => loader.line(text)?,
            Err(_) => loader.line(&String::from_utf8_lossy(line))?,
        }
    }
    loader.finish()
}

/// The streaming reader: lines → statements → blocks; top-level blocks are parsed when
/// they close, and route statements when they complete (see [`TreeSink`]).
struct Loader<'o> {
    file: Arc<str>,
    options: &'o ParseOptions,
    lines: u32,
    scanner: lexer::LineScanner,
    builder: Option<lexer::TreeBuilder>,
    state: State,
}

/// What the top-level blocks read so far produced.
#[derive(Default)]
struct State {
    warnings: Vec<Warning>,
    processes: Vec<Process>,
    templates: HashMap<String, Draft>,
    neighbors: Vec<Neighbor>,
    /// Routes read inside the neighbor (or template neighbor) block that starts at
    /// (line, col), waiting for that block to close.
    routes: Vec<((u32, u32), RouteList)>,
    /// Shares equal attribute sets among all the routes read.
    interner: RouteInterner,
    /// The routes of the statement being read (kept for its allocation).
    scratch: Vec<ConfiguredRoute>,
}

impl<'o> Loader<'o> {
    fn new(file_name: &str, options: &'o ParseOptions) -> Loader<'o> {
        let file: Arc<str> = Arc::from(file_name);
        Loader {
            scanner: lexer::LineScanner::new(&file),
            builder: Some(lexer::TreeBuilder::new(&file)),
            file,
            options,
            lines: 0,
            state: State::default(),
        }
    }

    fn line(&mut self, line: &str) -> Result<(), ConfigError> {
        self.lines = self.lines.saturating_add(1);
        let mut statements: Vec<lexer::Statement<'_>> = Vec::new();
        self.scanner.line(line, &mut statements)?;
        let mut builder = self
            .builder
            .take()
            .unwrap_or_else(|| lexer::TreeBuilder::new(&self.file));
        let mut sink = Sink {
            file: &self.file,
            options: self.options,
            state: &mut self.state,
        };
        let mut result = Ok(());
        for statement in statements.drain(..) {
            result = builder.statement(statement, &mut sink);
            if result.is_err() {
                break;
            }
        }
        self.builder = Some(builder);
        result
    }

    fn finish(mut self) -> Result<Config, ConfigError> {
        self.scanner.finish()?;
        let mut builder = self
            .builder
            .take()
            .unwrap_or_else(|| lexer::TreeBuilder::new(&self.file));
        if builder.statements() == 0 {
            return Err(ConfigError::new(
                Location::new(self.file.clone(), 1, 1),
                ErrorKind::Empty,
            ));
        }
        builder.finish()?;
        let State {
            warnings,
            processes,
            mut neighbors,
            ..
        } = self.state;
        check_duplicates(&neighbors)?;
        resolve_api(&mut neighbors, &processes)?;
        Ok(Config {
            file: self.file.to_string(),
            processes,
            neighbors,
            warnings,
        })
    }
}

struct Sink<'a> {
    file: &'a Arc<str>,
    options: &'a ParseOptions,
    state: &'a mut State,
}

impl Sink<'_> {
    /// The routes read so far inside the block starting at `node`'s position.
    fn take_routes(&mut self, node: &Node) -> RouteList {
        let at = (node.line, node.col);
        match self.state.routes.iter().position(|(p, _)| *p == at) {
            Some(i) => self.state.routes.swap_remove(i).1,
            None => RouteList::new(),
        }
    }
}

impl lexer::TreeSink for Sink<'_> {
    fn top(&mut self, node: Node<'_>) -> Result<(), ConfigError> {
        top_level(self, &node)
    }

    fn inner<'l>(
        &mut self,
        path: &[lexer::Open],
        node: Node<'l>,
    ) -> Result<Option<Node<'l>>, ConfigError> {
        // The route blocks: neighbor > {static, flow, l2vpn, announce > family}, and the
        // same inside template > neighbor.
        let (owner, blocks) = match path {
            [n, rest @ ..] if n.node.keyword() == "neighbor" => (&n.node, rest),
            [t, n, rest @ ..]
                if t.node.keyword() == "template" && n.node.keyword() == "neighbor" =>
            {
                (&n.node, rest)
            }
            _ => return Ok(Some(node)),
        };
        let pair;
        let blocks: &[&Node<'static>] = match blocks {
            [a] => {
                pair = [&a.node, &a.node];
                &pair[..1]
            }
            [a, b] => {
                pair = [&a.node, &b.node];
                &pair[..]
            }
            _ => return Ok(Some(node)),
        };
        let at = (owner.line, owner.col);
        let index = match self.state.routes.iter().position(|(p, _)| *p == at) {
            Some(i) => i,
            None => {
                self.state.routes.push((at, RouteList::new()));
                self.state.routes.len() - 1
            }
        };
        let mut ctx = Ctx {
            file: self.file,
            warnings: &mut self.state.warnings,
        };
        let mut routes = std::mem::take(&mut self.state.scratch);
        let result = neighbor::route_statement(&mut ctx, blocks, node, &mut routes);
        let list = &mut self.state.routes[index].1;
        for mut route in routes.drain(..) {
            self.state.interner.intern(&mut route);
            list.push(route);
        }
        self.state.scratch = routes;
        result
    }

    fn warn(&mut self, warning: Warning) {
        self.state.warnings.push(warning);
    }
}

/// One top-level statement or block: `process`, `template` or `neighbor`.
fn top_level(sink: &mut Sink, node: &Node) -> Result<(), ConfigError> {
    let file = sink.file;
    let options = sink.options;
    match node.keyword() {
        "process" => {
            let mut ctx = Ctx {
                file,
                warnings: &mut sink.state.warnings,
            };
            let process = process_block(&mut ctx, node)?;
            if sink.state.processes.iter().any(|p| p.name == process.name) {
                return Err(ConfigError::new(
                    ctx.node_loc(node),
                    ErrorKind::DuplicateName {
                        what: "process",
                        name: process.name,
                    },
                ));
            }
            sink.state.processes.push(process);
        }
        "template" => {
            let children = {
                let ctx = Ctx {
                    file,
                    warnings: &mut sink.state.warnings,
                };
                expect_block(&ctx, node)?
            };
            for child in children {
                let routes = sink.take_routes(child);
                let state = &mut *sink.state;
                let mut ctx = Ctx {
                    file,
                    warnings: &mut state.warnings,
                };
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
                            name: name_token.text.to_string(),
                        },
                    ));
                }
                if state.templates.contains_key(&*name_token.text) {
                    return Err(w.error_at(
                        name_token,
                        ErrorKind::DuplicateName {
                            what: "template",
                            name: name_token.text.to_string(),
                        },
                    ));
                }
                let mut draft = Draft {
                    routes,
                    ..Draft::default()
                };
                neighbor::parse_body(&mut ctx, inner, &mut draft)?;
                // A template may inherit templates defined above it.
                for (name, at) in std::mem::take(&mut draft.inherit) {
                    match state.templates.get(&name) {
                        Some(parent) => {
                            neighbor::merge_template(&mut ctx, &mut draft, parent, &name, &at)
                        }
                        None if name == "," => {}
                        None => ctx.warn(at, WarningKind::UnknownTemplate { name }),
                    }
                }
                state.templates.insert(name_token.text.to_string(), draft);
            }
        }
        "neighbor" => {
            let routes = sink.take_routes(node);
            let state = &mut *sink.state;
            let mut ctx = Ctx {
                file,
                warnings: &mut state.warnings,
            };
            let n = neighbor_block(&mut ctx, node, routes, &state.templates, options)?;
            state.neighbors.push(n);
        }
        _ => {
            let ctx = Ctx {
                file,
                warnings: &mut sink.state.warnings,
            };
            if node.children.is_none() {
                // A stray leaf statement at the top level.
                expect_block(&ctx, node).map(|_| ())?;
            }
            return Err(unknown(&ctx, node, "the top level", ROOT_KEYWORDS));
        }
    }
    Ok(())
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
                    argv.push(t.text.to_string());
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
                encoder = Some(match &*t.text {
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
        name: name_token.text.to_string(),
        run,
        encoder,
        respawn,
        location: ctx.node_loc(node),
    })
}

fn neighbor_block(
    ctx: &mut Ctx,
    node: &Node,
    routes: RouteList,
    templates: &HashMap<String, Draft>,
    options: &ParseOptions,
) -> Result<Neighbor, ConfigError> {
    let children = expect_block(ctx, node)?;
    let mut w = words(ctx.file, node);
    let t = w.value("neighbor", "the peer address (ip or ip/len)")?;
    let (addr_text, len_text) = match t.text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (&*t.text, None),
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
    let mut draft = Draft {
        routes,
        ..Draft::default()
    };
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
    use std::collections::HashSet;
    // The identity of config.md §2.4, as a hashable key (linear in the number of neighbors).
    let mut seen: HashSet<String> = HashSet::new();
    for n in neighbors {
        let key = if n.listen != 0 {
            format!("{}|listen {}", n.peer_text(), n.listen)
        } else {
            let families = if n.capabilities.multi_session {
                format!("{:?}", n.families)
            } else {
                String::new()
            };
            format!(
                "{}|{:?}|{}|{}|{}|{families}",
                n.peer_text(),
                n.local_address,
                n.local_as,
                n.peer_as,
                n.router_id
            )
        };
        if !seen.insert(key) {
            return Err(ConfigError::new(
                n.location.clone(),
                ErrorKind::DuplicateNeighbor {
                    peer: n.peer_text(),
                },
            ));
        }
    }
    Ok(())
}

fn resolve_api(neighbors: &mut [Neighbor], processes: &[Process]) -> Result<(), ConfigError> {
    for n in neighbors.iter_mut() {
        let peer = n.peer_text();
        for api in &mut n.api {
            let location = api.location.clone();
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
    let mut budget: usize = 100_000;
    match_here(pattern, &text, 0, &mut budget)
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

/// Backtracking match; `budget` bounds the total work so no pattern can take long.
fn match_here(pattern: &[char], text: &[char], depth: usize, budget: &mut usize) -> bool {
    if depth > 1000 || *budget == 0 {
        return false;
    }
    *budget -= 1;
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
                .any(|n| match_here(after, text.get(n..).unwrap_or(&[]), depth + 1, budget))
        }
        _ => match text.split_first() {
            Some((c, tail)) if matches(*c) => match_here(rest, tail, depth + 1, budget),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Config {
        match parse(text, "t.conf", &ParseOptions::default()) {
            Ok(config) => config,
            Err(e) => panic!("{e}"),
        }
    }

    const BASE: &str = "router-id 1.1.1.1; local-address 10.0.0.2; local-as 1; peer-as 2;";

    #[test]
    fn stream_reads_routes_as_they_come() {
        let text = format!(
            "template {{\n neighbor t {{\n  static {{ route 10.9.0.0/16 next-hop 1.1.1.1; }}\n }}\n}}\n\
             neighbor 10.0.0.1 {{\n {BASE}\n inherit t;\n static {{\n  route 10.0.0.0/24 next-hop 1.1.1.1;\n  \
             route 10.0.1.0/24 {{ next-hop 1.1.1.1; med 5; }}\n }}\n announce {{ ipv4 {{ unicast 10.0.2.0/24 next-hop \\\n 1.1.1.1; }} }}\n\
             flow {{ route {{ match {{ destination 10.0.3.0/24; }} then {{ discard; }} }} }}\n}}\n"
        );
        let whole = parse_ok(&text);
        let streamed = parse_reader(text.as_bytes(), "t.conf", &ParseOptions::default()).unwrap();
        let routes = &whole.neighbors[0].routes;
        assert_eq!(routes, &streamed.neighbors[0].routes);
        let shown: Vec<String> = routes.iter().map(neighbor::route_text).collect();
        // File order, then the template's routes.
        assert_eq!(
            shown,
            [
                "10.0.0.0/24",
                "10.0.1.0/24",
                "10.0.2.0/24",
                "flow",
                "10.9.0.0/16"
            ]
        );
        assert_eq!(
            routes[1].attributes.get(crate::bgp::attribute::CODE_MED),
            Some(&crate::bgp::attribute::Attribute::Med(5))
        );
        // Equal attributes are shared.
        assert!(Arc::ptr_eq(&routes[0].attributes, &routes[2].attributes));
        assert!(Arc::ptr_eq(&routes[0].control, &routes[1].control));
        assert_eq!((routes[2].location.line, routes[2].location.col), (13, 20));
        // A route error is reported where it is, as soon as it is read.
        let bad =
            format!("neighbor 10.0.0.1 {{\n {BASE}\n static {{\n  route 10.0.0.0/24 med x;\n");
        let e = parse_reader(bad.as_bytes(), "t.conf", &ParseOptions::default()).unwrap_err();
        assert_eq!((e.location.line, e.location.col), (4, 25), "{e}");
    }

    #[test]
    fn templates_merge_like_exabgp() {
        let config = parse_ok(&format!(
            "template {{ neighbor a {{ hold-time 30; family {{ ipv4 unicast; }} static {{ route 1.0.0.0/8 next-hop self; }} }}\n\
             neighbor b {{ inherit a; description from-b; }} }}\n\
             neighbor 10.0.0.1 {{ {BASE} hold-time 60; inherit [ b, nowhere ]; \
             static {{ route 2.0.0.0/8 next-hop self; }} static {{ route 3.0.0.0/8 next-hop self; }} }}"
        ));
        let n = &config.neighbors[0];
        assert_eq!(n.hold_time, 30, "the template's scalar wins");
        assert_eq!(n.description, "from-b");
        assert_eq!(n.inherited, vec!["b".to_string()]);
        let prefixes: Vec<String> = n.routes.iter().map(neighbor::route_text).collect();
        assert_eq!(prefixes, ["2.0.0.0/8", "3.0.0.0/8", "1.0.0.0/8"]);
        assert!(config.warnings.iter().any(
            |w| matches!(&w.kind, WarningKind::UnknownTemplate { name } if name == "nowhere")
        ));
        assert!(config.warnings.iter().any(|w| matches!(
            w.kind,
            WarningKind::TemplateOverride {
                keyword: "hold-time",
                ..
            }
        )));
    }

    #[test]
    fn defaults_and_ranges() {
        let config = parse_ok(&format!(
            "neighbor 10.0.0.0/24 {{ {BASE} passive; capability {{ route-refresh; graceful-restart; }} }}"
        ));
        let n = &config.neighbors[0];
        assert_eq!(n.peer_prefix_len, 24);
        assert!(n.adj_rib_out, "route-refresh forces adj-rib-out");
        assert_eq!(
            n.capabilities.graceful_restart,
            Some(180),
            "0 takes the hold-time"
        );
        assert!(n.families_all);
        let options = ParseOptions {
            assume_passive: true,
        };
        let text = format!("neighbor 10.0.0.0/24 {{ {BASE} }}");
        assert!(parse(&text, "t", &ParseOptions::default()).is_err());
        assert!(parse(&text, "t", &options).is_ok());
    }

    #[test]
    fn attributes_nlri_and_process_match() {
        let config = parse_ok(&format!(
            "process log-a {{ run x; encoder text; }} process other {{ run y; encoder json; respawn false; }}\n\
             neighbor 10.0.0.1 {{ {BASE} api {{ processes-match [ \"^log-\" ]; }} \
             static {{ attributes next-hop 10.0.0.2 med 7 nlri 10.1.0.0/16 10.2.0.0/16; }} }}"
        ));
        let n = &config.neighbors[0];
        assert_eq!(n.routes.len(), 2);
        assert!(n
            .routes
            .iter()
            .all(|r| r.attributes.get(crate::bgp::attribute::CODE_MED)
                == Some(&crate::bgp::attribute::Attribute::Med(7))));
        assert_eq!(n.process_names(), vec!["log-a"]);
        assert_eq!(config.process("other").map(|p| p.respawn), Some(false));
        // The routes share one attribute set.
        assert!(Arc::ptr_eq(
            &n.routes[0].attributes,
            &n.routes[1].attributes
        ));
        // `nlri` and a prefix are required (ExaBGP 5.0.15; the API reads it alike).
        for statement in [
            "attributes next-hop 10.0.0.2",
            "attributes next-hop 10.0.0.2 nlri",
        ] {
            let text = format!("neighbor 10.0.0.1 {{ {BASE} static {{ {statement}; }} }}");
            let error = parse(&text, "t", &ParseOptions::default()).unwrap_err();
            assert!(
                matches!(error.kind, ErrorKind::MissingValue { .. }),
                "{statement}: {error}"
            );
        }
    }

    #[test]
    fn regex() {
        assert!(regex_match("^log-.*", "log-a"));
        assert!(!regex_match("^log-.*", "xlog-a"));
        assert!(regex_match("api", "api-x"));
        assert!(regex_match("^a[0-9]+$", "a12"));
        assert!(!regex_match("^a[0-9]+$", "a12b"));
        assert!(regex_match(".*", ""));
        assert!(!regex_match("[", "x"));
        // Pathological backtracking stops at the work budget instead of hanging.
        let name = "a".repeat(200);
        assert!(!regex_match(&format!("{}b", ".*".repeat(12)), &name));
    }
}
