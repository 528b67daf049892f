//! Tokenizer and block tree for ExaBGP's configuration language (config.md §1).
//! Lines → statements (words ending in `;`, `{` or `}`) → blocks, with positions, as a stream.

use std::borrow::Cow;
use std::sync::Arc;

use super::error::{ConfigError, ErrorKind, Location, Warning, WarningKind};

/// One word of a statement. Quoted words keep their spaces and specials. The text
/// borrows from the configuration unless escapes or continuation lines changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'s> {
    pub text: Cow<'s, str>,
    pub line: u32,
    pub col: u32,
    /// Written between quotes (so `[`, `;` ... inside it are plain text).
    pub quoted: bool,
}

impl Token<'_> {
    /// True for an unquoted single-character separator token such as `[`.
    pub fn is_punct(&self, c: &str) -> bool {
        !self.quoted && self.text == c
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminator {
    Semicolon,
    Open,
    Close,
}

/// Words up to and including a terminator.
#[derive(Debug, Clone)]
pub struct Statement<'s> {
    pub tokens: Vec<Token<'s>>,
    pub terminator: Terminator,
    pub end_line: u32,
    pub end_col: u32,
}

/// A leaf statement (`;`) or a block (`{ ... }`) with its children.
#[derive(Debug, Clone)]
pub struct Node<'s> {
    /// The words before the terminator (never empty for blocks made by the tree builder
    /// unless the file wrote a bare `{`).
    pub tokens: Vec<Token<'s>>,
    pub line: u32,
    pub col: u32,
    /// `Some` for blocks.
    pub children: Option<Vec<Node<'s>>>,
}

impl Node<'_> {
    pub fn keyword(&self) -> &str {
        self.tokens.first().map(|t| &*t.text).unwrap_or("")
    }
}

/// The word being read: a slice of the current line while it is contiguous plain text,
/// an owned string once an escape or a continuation line is involved.
enum WordBuf<'s> {
    Empty,
    Slice {
        line: u32,
        text: &'s str,
        start: usize,
        end: usize,
    },
    Owned(String),
}

impl<'s> WordBuf<'s> {
    fn as_str(&self) -> &str {
        match self {
            WordBuf::Empty => "",
            WordBuf::Slice {
                text, start, end, ..
            } => text.get(*start..*end).unwrap_or(""),
            WordBuf::Owned(s) => s,
        }
    }

    fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }

    /// Appends `c`, found at byte `start` of `body` (line `line`).
    fn push_at(&mut self, body: &'s str, line: u32, start: usize, c: char) {
        let end = start + c.len_utf8();
        match self {
            WordBuf::Empty => {
                *self = WordBuf::Slice {
                    line,
                    text: body,
                    start,
                    end,
                }
            }
            WordBuf::Slice {
                line: l, end: e, ..
            } if *l == line && *e == start => *e = end,
            _ => self.push_owned(c),
        }
    }

    /// Appends `body[start..end]` (line `line`), a run of plain characters.
    fn push_run(&mut self, body: &'s str, line: u32, start: usize, end: usize) {
        match self {
            WordBuf::Empty => {
                *self = WordBuf::Slice {
                    line,
                    text: body,
                    start,
                    end,
                }
            }
            WordBuf::Slice {
                line: l, end: e, ..
            } if *l == line && *e == start => *e = end,
            other => {
                let mut owned = other.as_str().to_string();
                owned.push_str(body.get(start..end).unwrap_or(""));
                *other = WordBuf::Owned(owned);
            }
        }
    }

    /// Appends a character that is not in the text as such (decoded escape).
    fn push_owned(&mut self, c: char) {
        match self {
            WordBuf::Owned(s) => s.push(c),
            other => {
                let mut s = other.as_str().to_string();
                s.push(c);
                *other = WordBuf::Owned(s);
            }
        }
    }

    fn take(&mut self) -> Cow<'s, str> {
        match std::mem::replace(self, WordBuf::Empty) {
            WordBuf::Empty => Cow::Borrowed(""),
            WordBuf::Slice {
                text, start, end, ..
            } => Cow::Borrowed(text.get(start..end).unwrap_or("")),
            WordBuf::Owned(s) => Cow::Owned(s),
        }
    }
}

struct Scanner<'s> {
    file: Arc<str>,
    statements: Vec<Statement<'s>>,
    tokens: Vec<Token<'s>>,
    word: WordBuf<'s>,
    word_start: Option<(u32, u32)>,
    quote: Option<char>,
    quoted_word: bool,
}

impl<'s> Scanner<'s> {
    fn loc(&self, line: u32, col: u32) -> Location {
        Location::new(self.file.clone(), line, col)
    }

    fn start_word(&mut self, line: u32, col: u32) {
        if self.word_start.is_none() {
            self.word_start = Some((line, col));
        }
    }

    fn flush_word(&mut self) {
        if let Some((line, col)) = self.word_start.take() {
            self.tokens.push(Token {
                text: self.word.take(),
                line,
                col,
                quoted: self.quoted_word,
            });
        }
        self.quoted_word = false;
    }

    fn push_single(&mut self, c: &'static str, line: u32, col: u32) {
        self.flush_word();
        self.tokens.push(Token {
            text: Cow::Borrowed(c),
            line,
            col,
            quoted: false,
        });
    }

    fn terminate(&mut self, terminator: Terminator, line: u32, col: u32) {
        self.flush_word();
        self.statements.push(Statement {
            // Streamed: a statement lives until it is parsed (a route) or its block is.
            tokens: std::mem::take(&mut self.tokens),
            terminator,
            end_line: line,
            end_col: col,
        });
    }

    fn unterminated(&self) -> ConfigError {
        let first = self.tokens.first();
        let (line, col) = first.map(|t| (t.line, t.col)).unwrap_or((1, 1));
        let found: Vec<&str> = self.tokens.iter().map(|t| &*t.text).collect();
        let mut found = found.join(" ");
        if !self.word.is_empty() {
            if !found.is_empty() {
                found.push(' ');
            }
            found.push_str(self.word.as_str());
        }
        let (line, col) = if first.is_none() {
            self.word_start.unwrap_or((line, col))
        } else {
            (line, col)
        };
        ConfigError::new(
            self.loc(line, col),
            ErrorKind::UnterminatedStatement { found },
        )
    }
}

impl Token<'_> {
    /// The same word, owning its text.
    pub fn into_owned(self) -> Token<'static> {
        Token {
            text: Cow::Owned(self.text.into_owned()),
            line: self.line,
            col: self.col,
            quoted: self.quoted,
        }
    }
}

impl Node<'_> {
    /// The same node, owning its words.
    pub fn into_owned(self) -> Node<'static> {
        Node {
            tokens: self.tokens.into_iter().map(Token::into_owned).collect(),
            line: self.line,
            col: self.col,
            children: self
                .children
                .map(|c| c.into_iter().map(Node::into_owned).collect()),
        }
    }
}

/// What a statement left open at the end of a line that continues (`\`): its words so
/// far and the word being read, owned (the line they came from is gone).
#[derive(Default)]
struct Carry {
    tokens: Vec<Token<'static>>,
    word: Option<String>,
    word_start: Option<(u32, u32)>,
    quoted_word: bool,
}

/// Splits text into statements (config.md §1.1–1.2) one physical line at a time, so a
/// file is read as a stream: only the statement being read is held.
pub struct LineScanner {
    file: Arc<str>,
    line_no: u32,
    carry: Carry,
}

impl LineScanner {
    pub fn new(file: &Arc<str>) -> LineScanner {
        LineScanner {
            file: file.clone(),
            line_no: 0,
            carry: Carry::default(),
        }
    }

    /// Scans the next physical line (without its `\n`), appending the statements it
    /// completes to `out`.
    pub fn line<'l>(
        &mut self,
        raw_line: &'l str,
        out: &mut Vec<Statement<'l>>,
    ) -> Result<(), ConfigError> {
        self.line_no = self.line_no.saturating_add(1);
        let line_no = self.line_no;
        let carry = std::mem::take(&mut self.carry);
        let tokens = if carry.tokens.is_empty() {
            // Room for a typical route statement's words.
            Vec::with_capacity(16)
        } else {
            carry.tokens
        };
        let mut s = Scanner {
            file: self.file.clone(),
            statements: std::mem::take(out),
            tokens,
            word: carry.word.map_or(WordBuf::Empty, WordBuf::Owned),
            word_start: carry.word_start,
            quote: None,
            quoted_word: carry.quoted_word,
        };
        let result = scan_line(&mut s, line_no, raw_line);
        if let Ok(true) = result {
            // The next physical line continues this statement. It is appended as is: its
            // indentation separates words, a line starting in column 1 glues (config.md §1.1).
            let word = match std::mem::replace(&mut s.word, WordBuf::Empty) {
                WordBuf::Empty => None,
                other => Some(other.as_str().to_string()),
            };
            self.carry = Carry {
                tokens: s.tokens.drain(..).map(Token::into_owned).collect(),
                word,
                word_start: s.word_start,
                quoted_word: s.quoted_word,
            };
        }
        *out = std::mem::take(&mut s.statements);
        result.map(|_| ())
    }

    /// The end of the input: a statement still open is an error.
    pub fn finish(&mut self) -> Result<(), ConfigError> {
        let carry = std::mem::take(&mut self.carry);
        let mut s: Scanner<'static> = Scanner {
            file: self.file.clone(),
            statements: Vec::new(),
            tokens: carry.tokens,
            word: carry.word.map_or(WordBuf::Empty, WordBuf::Owned),
            word_start: carry.word_start,
            quote: None,
            quoted_word: carry.quoted_word,
        };
        s.flush_word();
        if !s.tokens.is_empty() {
            return Err(s.unterminated());
        }
        Ok(())
    }
}

/// Scans one physical line; `Ok(true)` when it ends in a continuation.
fn scan_line<'s>(
    s: &mut Scanner<'s>,
    line_no: u32,
    raw_line: &'s str,
) -> Result<bool, ConfigError> {
    let raw_line = if line_no == 1 {
        raw_line.strip_prefix('\u{feff}').unwrap_or(raw_line)
    } else {
        raw_line
    };
    let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
    let trimmed = line.trim_end();
    let (body, continues) = match trimmed.strip_suffix('\\') {
        // An escaped backslash at the end (`\\`) is not a continuation.
        Some(rest) if !rest.ends_with('\\') || rest.ends_with("\\\\") => (rest, true),
        _ => (line, false),
    };
    let bytes = body.as_bytes();
    let mut i = 0usize;
    let mut col: u32 = 0;
    // The next character of the body at byte `i`, moving past it.
    let next = |i: &mut usize| -> Option<(usize, char)> {
        let c = body.get(*i..)?.chars().next()?;
        let at = *i;
        *i += c.len_utf8();
        Some((at, c))
    };
    while i < bytes.len() {
        // Fast path: a run of plain ASCII word characters outside quotes.
        if s.quote.is_none() && bytes.get(i).copied().is_some_and(plain) {
            let start = i;
            while bytes.get(i).copied().is_some_and(plain) {
                i += 1;
            }
            s.start_word(line_no, col.saturating_add(1));
            s.word.push_run(body, line_no, start, i);
            col = col.saturating_add((i - start) as u32);
            continue;
        }
        let Some((at, c)) = next(&mut i) else { break };
        col = col.saturating_add(1);
        if c == '\\' {
            let here = col;
            let decoded = match next(&mut i) {
                None => {
                    return Err(ConfigError::new(
                        s.loc(line_no, here),
                        ErrorKind::InvalidEscape { found: "\\".into() },
                    ))
                }
                Some((_, e)) => {
                    col = col.saturating_add(1);
                    match e {
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'u' => {
                            let mut hex = String::new();
                            for _ in 0..4 {
                                match bytes.get(i) {
                                    Some(h) if h.is_ascii_hexdigit() => {
                                        hex.push(char::from(*h));
                                        i += 1;
                                        col = col.saturating_add(1);
                                    }
                                    _ => break,
                                }
                            }
                            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                Some(ch) if hex.len() == 4 => ch,
                                _ => {
                                    return Err(ConfigError::new(
                                        s.loc(line_no, here),
                                        ErrorKind::InvalidEscape {
                                            found: format!("\\u{hex}"),
                                        },
                                    ))
                                }
                            }
                        }
                        other => other,
                    }
                }
            };
            if s.quote.is_none() && decoded.is_whitespace() {
                s.flush_word();
            } else {
                s.start_word(line_no, here);
                s.word.push_owned(decoded);
            }
            continue;
        }
        if let Some(q) = s.quote {
            if c == q {
                s.quote = None;
                // Emit even an empty quoted word.
                s.flush_word();
            } else {
                s.word.push_at(body, line_no, at, c);
            }
            continue;
        }
        match c {
            ' ' | '\t' | '\r' | '\u{b}' | '\u{c}' => s.flush_word(),
            '"' | '\'' => {
                s.flush_word();
                s.quote = Some(c);
                s.quoted_word = true;
                s.word_start = Some((line_no, col));
            }
            '[' => s.push_single("[", line_no, col),
            ']' => s.push_single("]", line_no, col),
            ',' => s.push_single(",", line_no, col),
            ';' => s.terminate(Terminator::Semicolon, line_no, col),
            '{' => s.terminate(Terminator::Open, line_no, col),
            '}' => s.terminate(Terminator::Close, line_no, col),
            '#' => {
                s.flush_word();
                if !s.tokens.is_empty() {
                    return Err(s.unterminated());
                }
                break;
            }
            other => {
                s.start_word(line_no, col);
                s.word.push_at(body, line_no, at, other);
            }
        }
    }
    if s.quote.is_some() {
        let (l, c) = s.word_start.unwrap_or((line_no, 1));
        return Err(ConfigError::new(s.loc(l, c), ErrorKind::UnterminatedQuote));
    }
    if continues {
        return Ok(true);
    }
    s.flush_word();
    if !s.tokens.is_empty() {
        return Err(s.unterminated());
    }
    Ok(false)
}

/// An ASCII character that is part of a word as is (not a separator, quote, escape,
/// comment or punctuation).
fn plain(b: u8) -> bool {
    b.is_ascii()
        && !matches!(
            b,
            b' ' | b'\t'
                | b'\r'
                | 0x0b
                | 0x0c
                | b'"'
                | b'\''
                | b'['
                | b']'
                | b','
                | b';'
                | b'{'
                | b'}'
                | b'#'
                | b'\\'
        )
}

/// Splits a whole text into statements (config.md §1.1–1.2).
pub fn tokenize<'s>(file: &Arc<str>, text: &'s str) -> Result<Vec<Statement<'s>>, ConfigError> {
    let mut scanner = LineScanner::new(file);
    let mut statements = Vec::new();
    for raw_line in text.split('\n') {
        scanner.line(raw_line, &mut statements)?;
    }
    scanner.finish()?;
    Ok(statements)
}

/// A block being read: its opening statement and the children completed so far.
#[derive(Debug)]
pub struct Open {
    pub node: Node<'static>,
    pub children: Vec<Node<'static>>,
}

/// Where the [`TreeBuilder`] hands complete statements.
pub trait TreeSink {
    /// A top-level statement or block, complete (the builder keeps nothing of it).
    fn top(&mut self, node: Node<'_>) -> Result<(), ConfigError>;
    /// A statement or block completed inside the open blocks `path` (outermost first).
    /// Returning it keeps it in its parent's children; `None` means the sink used it.
    fn inner<'l>(&mut self, path: &[Open], node: Node<'l>)
        -> Result<Option<Node<'l>>, ConfigError>;
    /// Accepted-but-reported input (a surplus `}`).
    fn warn(&mut self, warning: Warning);
}

/// Builds the block tree one statement at a time. A statement ending in `}` with words
/// before it is read as a leaf followed by the close (ExaBGP reports such words in the
/// closing statement).
pub struct TreeBuilder {
    file: Arc<str>,
    stack: Vec<Open>,
    statements: usize,
}

impl TreeBuilder {
    pub fn new(file: &Arc<str>) -> TreeBuilder {
        TreeBuilder {
            file: file.clone(),
            stack: Vec::new(),
            statements: 0,
        }
    }

    /// How many statements were fed (an empty file has none).
    pub fn statements(&self) -> usize {
        self.statements
    }

    fn complete(&mut self, node: Node<'_>, sink: &mut dyn TreeSink) -> Result<(), ConfigError> {
        if self.stack.is_empty() {
            return sink.top(node);
        }
        if let Some(node) = sink.inner(&self.stack, node)? {
            if let Some(open) = self.stack.last_mut() {
                open.children.push(node.into_owned());
            }
        }
        Ok(())
    }

    pub fn statement(
        &mut self,
        statement: Statement<'_>,
        sink: &mut dyn TreeSink,
    ) -> Result<(), ConfigError> {
        self.statements += 1;
        let (line, col) = statement
            .tokens
            .first()
            .map(|t| (t.line, t.col))
            .unwrap_or((statement.end_line, statement.end_col));
        match statement.terminator {
            Terminator::Semicolon => {
                if statement.tokens.is_empty() {
                    return Ok(()); // a lone `;` is harmless
                }
                let node = Node {
                    tokens: statement.tokens,
                    line,
                    col,
                    children: None,
                };
                self.complete(node, sink)
            }
            Terminator::Open => {
                let node = Node {
                    tokens: statement
                        .tokens
                        .into_iter()
                        .map(Token::into_owned)
                        .collect(),
                    line,
                    col,
                    children: None,
                };
                self.stack.push(Open {
                    node,
                    children: Vec::new(),
                });
                Ok(())
            }
            Terminator::Close => {
                if !statement.tokens.is_empty() {
                    let node = Node {
                        tokens: statement.tokens,
                        line,
                        col,
                        children: None,
                    };
                    self.complete(node, sink)?;
                }
                match self.stack.pop() {
                    Some(Open { mut node, children }) => {
                        node.children = Some(children);
                        self.complete(node, sink)
                    }
                    None => {
                        sink.warn(Warning {
                            location: Location::new(
                                self.file.clone(),
                                statement.end_line,
                                statement.end_col,
                            ),
                            kind: WarningKind::SurplusClose,
                        });
                        Ok(())
                    }
                }
            }
        }
    }

    /// The end of the input: a block still open is an error.
    pub fn finish(&mut self) -> Result<(), ConfigError> {
        match self.stack.pop() {
            Some(Open { node, .. }) => Err(ConfigError::new(
                Location::new(self.file.clone(), node.line, node.col),
                ErrorKind::UnclosedBlock {
                    keyword: node.keyword().to_string(),
                },
            )),
            None => Ok(()),
        }
    }
}

/// Builds the whole block tree of a statement list (for tests and small inputs).
pub fn build_tree(
    file: &Arc<str>,
    statements: Vec<Statement<'_>>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Node<'static>>, ConfigError> {
    struct Collect<'w> {
        root: Vec<Node<'static>>,
        warnings: &'w mut Vec<Warning>,
    }
    impl TreeSink for Collect<'_> {
        fn top(&mut self, node: Node<'_>) -> Result<(), ConfigError> {
            self.root.push(node.into_owned());
            Ok(())
        }
        fn inner<'l>(
            &mut self,
            _: &[Open],
            node: Node<'l>,
        ) -> Result<Option<Node<'l>>, ConfigError> {
            Ok(Some(node))
        }
        fn warn(&mut self, warning: Warning) {
            self.warnings.push(warning);
        }
    }
    let mut collect = Collect {
        root: Vec::new(),
        warnings,
    };
    let mut builder = TreeBuilder::new(file);
    for statement in statements {
        builder.statement(statement, &mut collect)?;
    }
    builder.finish()?;
    Ok(collect.root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<String>> {
        let file: Arc<str> = "t".into();
        tokenize(&file, text)
            .unwrap()
            .into_iter()
            .map(|s| s.tokens.into_iter().map(|t| t.text.into_owned()).collect())
            .collect()
    }

    #[test]
    fn splits_statements_and_brackets() {
        assert_eq!(
            words("a [b,c] \"d e\";  x {\n}"),
            vec![
                vec!["a", "[", "b", ",", "c", "]", "d e"],
                vec!["x"],
                Vec::<&str>::new()
            ]
        );
        assert_eq!(words("route x { match { s 1; } }").len(), 5);
    }

    #[test]
    fn continuation_and_comments() {
        assert_eq!(words("a \\\n   b;  # c"), vec![vec!["a", "b"]]);
        assert_eq!(words("a\\\nb \\\n c;"), vec![vec!["ab", "c"]]);
        assert_eq!(words("# only\n\n"), Vec::<Vec<String>>::new());
        let file: Arc<str> = "t".into();
        let e = tokenize(&file, "x {\n  hold-time 90\n}").unwrap_err();
        assert_eq!((e.location.line, e.location.col), (2, 3));
        let e = tokenize(&file, "a 1 # x\n").unwrap_err();
        assert!(matches!(e.kind, ErrorKind::UnterminatedStatement { .. }));
        let e = tokenize(&file, "a \"x;\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnterminatedQuote);
        assert_eq!(words("a \\u0041b;"), vec![vec!["a", "Ab"]]);
    }

    #[test]
    fn words_keep_their_columns() {
        let file: Arc<str> = "t".into();
        let statements = tokenize(&file, "  route 10.0.0.0/24 x\\u0041y \"q r\" é1 a[b];").unwrap();
        let found: Vec<(String, u32)> = statements[0]
            .tokens
            .iter()
            .map(|t| (t.text.to_string(), t.col))
            .collect();
        let expected = [
            ("route", 3),
            ("10.0.0.0/24", 9),
            ("xAy", 21),
            ("q r", 30),
            ("é1", 36),
            ("a", 39),
            ("[", 40),
            ("b", 41),
            ("]", 42),
        ];
        let expected: Vec<(String, u32)> =
            expected.iter().map(|(w, c)| (w.to_string(), *c)).collect();
        assert_eq!(found, expected);
        assert!(matches!(statements[0].tokens[0].text, Cow::Borrowed(_)));
    }

    #[test]
    fn tree_checks_balance() {
        let file: Arc<str> = "t".into();
        let mut warnings = Vec::new();
        let tree = build_tree(
            &file,
            tokenize(&file, "a { b; c { d; } }").unwrap(),
            &mut warnings,
        )
        .unwrap();
        assert_eq!(tree.len(), 1);
        assert_eq!(tree[0].children.as_ref().map(Vec::len), Some(2));
        let e = build_tree(&file, tokenize(&file, "a {\n b;").unwrap(), &mut warnings);
        assert!(matches!(
            e.unwrap_err().kind,
            ErrorKind::UnclosedBlock { .. }
        ));
        build_tree(&file, tokenize(&file, "a { } }").unwrap(), &mut warnings).unwrap();
        assert_eq!(warnings.len(), 1);
    }
}
