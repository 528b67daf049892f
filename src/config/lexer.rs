//! Tokenizer and block tree for ExaBGP's configuration language (config.md §1).
//! Text → statements (words ending in `;`, `{` or `}`) → a tree of blocks, with positions.

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
            // Exactly sized (the scratch list keeps its capacity for the next statement):
            // a large file holds every statement at once.
            tokens: self.tokens.drain(..).collect(),
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

/// Splits the text into statements (config.md §1.1–1.2).
pub fn tokenize<'s>(file: &Arc<str>, text: &'s str) -> Result<Vec<Statement<'s>>, ConfigError> {
    let mut s = Scanner {
        file: file.clone(),
        statements: Vec::new(),
        tokens: Vec::new(),
        word: WordBuf::Empty,
        word_start: None,
        quote: None,
        quoted_word: false,
    };
    let mut line_no: u32 = 0;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for raw_line in text.split('\n') {
        line_no = line_no.saturating_add(1);
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let trimmed = line.trim_end();
        let (body, continues) = match trimmed.strip_suffix('\\') {
            // An escaped backslash at the end (`\\`) is not a continuation.
            Some(rest) if !rest.ends_with('\\') || rest.ends_with("\\\\") => (rest, true),
            _ => (line, false),
        };
        let mut chars = body.char_indices().peekable();
        let mut col: u32 = 0;
        while let Some((at, c)) = chars.next() {
            col = col.saturating_add(1);
            if c == '\\' {
                let here = col;
                let decoded = match chars.next() {
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
                                    match chars.peek() {
                                        Some((_, h)) if h.is_ascii_hexdigit() => {
                                            hex.push(*h);
                                            chars.next();
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
            // The next physical line continues this statement. It is appended as is: its
            // indentation separates words, a line starting in column 1 glues (config.md §1.1).
            continue;
        }
        s.flush_word();
        if !s.tokens.is_empty() {
            return Err(s.unterminated());
        }
    }
    s.flush_word();
    if !s.tokens.is_empty() {
        return Err(s.unterminated());
    }
    Ok(s.statements)
}

/// Builds the block tree. A statement ending in `}` with words before it is read as a
/// leaf followed by the close (ExaBGP reports such words in the closing statement).
pub fn build_tree<'s>(
    file: &Arc<str>,
    statements: Vec<Statement<'s>>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Node<'s>>, ConfigError> {
    // Stack of open blocks: (node under construction, its children).
    let mut stack: Vec<(Node<'s>, Vec<Node<'s>>)> = Vec::new();
    let mut root: Vec<Node<'s>> = Vec::new();
    for statement in statements {
        let (line, col) = statement
            .tokens
            .first()
            .map(|t| (t.line, t.col))
            .unwrap_or((statement.end_line, statement.end_col));
        match statement.terminator {
            Terminator::Semicolon => {
                if statement.tokens.is_empty() {
                    continue; // a lone `;` is harmless
                }
                let node = Node {
                    tokens: statement.tokens,
                    line,
                    col,
                    children: None,
                };
                match stack.last_mut() {
                    Some((_, children)) => children.push(node),
                    None => root.push(node),
                }
            }
            Terminator::Open => {
                let node = Node {
                    tokens: statement.tokens,
                    line,
                    col,
                    children: None,
                };
                stack.push((node, Vec::new()));
            }
            Terminator::Close => {
                if !statement.tokens.is_empty() {
                    let node = Node {
                        tokens: statement.tokens,
                        line,
                        col,
                        children: None,
                    };
                    match stack.last_mut() {
                        Some((_, children)) => children.push(node),
                        None => root.push(node),
                    }
                }
                match stack.pop() {
                    Some((mut node, children)) => {
                        node.children = Some(children);
                        match stack.last_mut() {
                            Some((_, parent)) => parent.push(node),
                            None => root.push(node),
                        }
                    }
                    None => warnings.push(Warning {
                        location: Location::new(
                            file.clone(),
                            statement.end_line,
                            statement.end_col,
                        ),
                        kind: WarningKind::SurplusClose,
                    }),
                }
            }
        }
    }
    if let Some((node, _)) = stack.pop() {
        return Err(ConfigError::new(
            Location::new(file.clone(), node.line, node.col),
            ErrorKind::UnclosedBlock {
                keyword: node.keyword().to_string(),
            },
        ));
    }
    Ok(root)
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
