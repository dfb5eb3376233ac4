//! Text → [`Module`]. pest recognises the text; this file builds the typed tree from pest's pairs
//! and turns pest's errors into one plain sentence with a span.

use crate::ast::*;
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "policy.pest"]
struct PolicyParser;

/// A syntax error: where, what the parser expected there, and for the slips people coming from
/// spreadsheets, SQL or Python make, what to write instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// Steps (rule calls) the parser may take per byte of text. Policies as people write them take 1
/// to 5 per byte (the shipped ones 2 to 3); text written to be dense (brackets or calls nested 63
/// deep) 30 to 40. Measured with the flat expression chains (8 December 2026).
const PARSE_STEPS_PER_BYTE: usize = 128;

/// The budget of any text shorter than 8 KiB.
const MIN_PARSE_STEPS: usize = 1 << 20;

/// The budget of any text, however long: a policy of the largest size the engine loads (1 MiB)
/// and of ordinary density takes about 3 Mi steps.
pub const MAX_PARSE_STEPS: usize = 64 << 20;

/// How many steps the parser may take on `source`. Some broken text — brackets left open around
/// `any c in …: a = (…` — makes a PEG parser backtrack exponentially; a budget in proportion to
/// the text turns that hang into an error in time in proportion to the text: about 10 ms for a
/// short policy, under a second for the longest.
pub fn parse_steps(source: &str) -> usize {
    source
        .len()
        .saturating_mul(PARSE_STEPS_PER_BYTE)
        .clamp(MIN_PARSE_STEPS, MAX_PARSE_STEPS)
}

/// Runs `parse` under the step budget of `source`. pest's budget is one setting for the whole
/// process, read when a parse starts, so parses take turns (a policy parses in about a
/// millisecond).
fn bounded<T>(source: &str, parse: impl FnOnce() -> T) -> T {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    pest::set_call_limit(std::num::NonZeroUsize::new(parse_steps(source)));
    parse()
}

/// Parses one policy file.
pub fn parse(source: &str) -> Result<Module, SyntaxError> {
    check_brackets(source)?;
    let mut pairs = bounded(source, || PolicyParser::parse(Rule::file, source))
        .map_err(|e| syntax_error(e, source))?;
    check_depth(pairs.clone())?;
    let file = pairs.next().ok_or_else(|| SyntaxError {
        help: None,
        span: Span::default(),
        message: "empty parse".into(),
    })?;
    let items = file
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI)
        .map(item)
        .collect();
    let module = Module {
        items,
        comments: comments(source),
    };
    crate::slips::in_module(&module)?;
    Ok(module)
}

/// Parses a lone expression (used by tests and tools).
pub fn parse_expr(source: &str) -> Result<Expr, SyntaxError> {
    check_brackets(source)?;
    let mut pairs = bounded(source, || PolicyParser::parse(Rule::expr, source))
        .map_err(|e| syntax_error(e, source))?;
    check_depth(pairs.clone())?;
    let pair = pairs.next().ok_or_else(|| SyntaxError {
        help: None,
        span: Span::default(),
        message: "expected an expression".into(),
    })?;
    let end = expr_end(&pair, source);
    if !source[end..].trim().is_empty() {
        return Err(SyntaxError {
            help: None,
            span: Span::new(end, source.len()),
            message: "unexpected text after the expression".into(),
        });
    }
    Ok(expr(pair))
}

/// Where a lone expression ends, for "unexpected text after the expression": after the spaces
/// and comments that follow it, unless its last operand closes an operator at every level of
/// precedence (`a otherwise b where c or d and e.f`), as pest ended it when each level was a rule
/// (a level's rule took the spaces after its operand when no operator of its level followed).
fn expr_end(pair: &Pair<Rule>, source: &str) -> usize {
    let end = span(pair).end;
    if !spaces_after(pair.clone()) {
        return end;
    }
    let rest = &source[end..];
    let mut in_comment = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\n' => in_comment = false,
            _ if in_comment => {}
            ' ' | '\t' | '\r' | '\u{FEFF}' => {}
            '#' => in_comment = true,
            _ => return end + i,
        }
    }
    source.len()
}

/// Whether the rules of one level of precedence each would have ended `p` after the spaces that
/// follow it (see [`expr_end`]).
fn spaces_after(mut p: Pair<Rule>) -> bool {
    loop {
        let rule = p.as_rule();
        let Some(last) = p.clone().into_inner().last() else {
            return true;
        };
        match rule {
            Rule::expr | Rule::when_expr => p = last,
            Rule::logic | Rule::arith => {
                // Whether each level has an operator after the last looser one.
                let mut levels = [false; 5];
                let mut tail = None;
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::not_op | Rule::neg_op => {}
                        Rule::arith | Rule::postfix_expr => tail = None,
                        Rule::cmp_tail => tail = Some(first(c)),
                        _ => {
                            let level = usize::from(Join::of(&c).level());
                            levels[level] = true;
                            levels[level + 1..].fill(false);
                        }
                    }
                }
                let (top, operand) = if rule == Rule::logic {
                    (OTHERWISE, LOGIC_OPERAND)
                } else {
                    (ADD, ARITH_OPERAND)
                };
                if !levels[usize::from(top)..usize::from(operand)]
                    .iter()
                    .all(|l| *l)
                {
                    return true;
                }
                match tail {
                    _ if rule == Rule::arith => {
                        return last.into_inner().last().map(|f| f.as_rule())
                            != Some(Rule::field_access)
                    }
                    None => return true,
                    Some(t) if matches!(t.as_rule(), Rule::is_known | Rule::is_missing) => {
                        return false
                    }
                    Some(t) => match t.into_inner().last() {
                        Some(rhs) => p = rhs,
                        None => return true,
                    },
                }
            }
            _ => return true,
        }
    }
}

/// How deeply brackets may nest: enough for any readable rule, few enough that parsing never
/// runs out of stack.
pub const MAX_BRACKETS: usize = 64;

/// How many lists a type may nest (`list of list of …`).
pub const MAX_TYPE_DEPTH: usize = 64;

/// How deep an expression's tree may be (each operator of a chain like `a and b and c` counts).
pub const MAX_DEPTH: usize = 256;

/// Refuses bracket nesting beyond [`MAX_BRACKETS`] before the parser recurses into it.
fn check_brackets(source: &str) -> Result<(), SyntaxError> {
    let (mut depth, mut in_string, mut in_comment) = (0usize, false, false);
    let mut escaped = false;
    for (i, c) in source.char_indices() {
        match c {
            '\n' => {
                in_comment = false;
                in_string = false;
            }
            _ if in_comment => {}
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            _ if in_string => {}
            '#' => in_comment = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_BRACKETS {
                    return Err(SyntaxError {
                        help: None,
                        span: Span::new(i, i + 1),
                        message: format!(
                            "brackets are nested too deeply (more than {MAX_BRACKETS} levels)"
                        ),
                    });
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Refuses expressions deeper than [`MAX_DEPTH`], walking pest's pairs without recursion, so
/// that no later stage (checker, printer, evaluator) recurses without bound: every nested form
/// counts, so the stack a load needs is bounded whatever the text (see `engine`'s load).
///
/// The depth is counted as when each level of precedence was a rule of its own (the limit
/// accepts and refuses the same texts as it did): a flattened chain is walked as those rules'
/// pairs would have been, level by level, in the same order, so that the same form is reported.
fn check_depth(pairs: pest::iterators::Pairs<Rule>) -> Result<(), SyntaxError> {
    let mut walk = DepthWalk::default();
    walk.stack.extend(pairs.map(|p| Visit::Pair(p, 0)));
    walk.run()
}

/// One step of [`check_depth`]'s walk.
enum Visit<'i> {
    /// A pair at a depth (the depth of the form around it).
    Pair(Pair<'i, Rule>, usize),
    /// A call: its name's start and its arguments.
    Call(usize, Pair<'i, Rule>, usize),
    /// Operands `from..to` of a flattened chain as the rule of precedence level `level` held
    /// them (`level` past the operators' levels: one operand and its prefix operators).
    Chain {
        arith: bool,
        level: u8,
        from: usize,
        to: usize,
        depth: usize,
    },
}

/// An operand of a flattened chain: the level of the operator before it (0 for the first), its
/// prefix operators (`not`s or minuses, `prefixes[prefix.0..prefix.1]`), its pair (an `arith` in
/// a `logic` chain, a `postfix_expr` in an `arith` one) and, in `logic`, its comparison's right
/// side.
struct Operand<'i> {
    level: u8,
    prefix: (usize, usize),
    main: Pair<'i, Rule>,
    tail: Option<Pair<'i, Rule>>,
}

#[derive(Default)]
struct DepthWalk<'i> {
    stack: Vec<Visit<'i>>,
    operands: Vec<Operand<'i>>,
    prefixes: Vec<Pair<'i, Rule>>,
}

/// The level of an operand in a `logic` chain (a `not` and a comparison were each a rule below
/// `and`), and in an `arith` chain (unary minus, below `*`).
const LOGIC_OPERAND: u8 = AND + 1;
const ARITH_OPERAND: u8 = MUL + 1;

impl<'i> DepthWalk<'i> {
    fn run(&mut self) -> Result<(), SyntaxError> {
        while let Some(visit) = self.stack.pop() {
            match visit {
                Visit::Pair(pair, depth) => self.pair(pair, depth)?,
                Visit::Call(start, args, depth) => {
                    let here = depth + 1;
                    if here > MAX_DEPTH {
                        return Err(too_deep(Span::new(start, span(&args).end)));
                    }
                    self.children(args, here);
                }
                Visit::Chain {
                    arith,
                    level,
                    from,
                    to,
                    depth,
                } => self.chain(arith, level, from, to, depth)?,
            }
        }
        Ok(())
    }

    fn pair(&mut self, pair: Pair<'i, Rule>, depth: usize) -> Result<(), SyntaxError> {
        let rule = pair.as_rule();
        match rule {
            Rule::logic | Rule::filter_logic | Rule::arith => {
                let arith = rule == Rule::arith;
                let from = self.operands.len();
                self.flatten(pair);
                let to = self.operands.len();
                let level = match rule {
                    Rule::logic => OTHERWISE,
                    Rule::filter_logic => OR,
                    _ => ADD,
                };
                return self.chain(arith, level, from, to, depth);
            }
            // A field access nests its operand one level.
            Rule::postfix_expr => {
                let fields = pair
                    .clone()
                    .into_inner()
                    .filter(|c| c.as_rule() == Rule::field_access)
                    .count();
                let here = depth + fields;
                if here > MAX_DEPTH {
                    return Err(too_deep(span(&pair)));
                }
                let mut it = pair.into_inner().peekable();
                while let Some(c) = it.next() {
                    if c.as_rule() == Rule::ident {
                        // A name holds nothing nested; a call holds its arguments.
                        if let Some(args) = it.next_if(|a| a.as_rule() == Rule::call_args) {
                            let start = c.as_span().start();
                            self.stack.push(Visit::Call(start, args, here));
                        }
                    } else {
                        self.push(c, here);
                    }
                }
                return Ok(());
            }
            Rule::list_type => {
                let lists = pair
                    .clone()
                    .into_inner()
                    .filter(|c| c.as_rule() == Rule::kw_list);
                if lists.count() > MAX_TYPE_DEPTH {
                    return Err(SyntaxError {
                        help: None,
                        span: span(&pair),
                        message: format!(
                            "this type nests lists too deeply (more than {MAX_TYPE_DEPTH} levels)"
                        ),
                    });
                }
            }
            _ => {}
        }
        // Every other form nests one level. Counting only `expr` let `any x in xs where any …`
        // and `count of count of …` nest without bound.
        let here = depth + 1;
        if here > MAX_DEPTH {
            return Err(too_deep(span(&pair)));
        }
        self.children(pair, here);
        Ok(())
    }

    /// Puts the children of `pair` on the stack, at depth `here`.
    fn children(&mut self, pair: Pair<'i, Rule>, here: usize) {
        for c in pair.into_inner() {
            self.push(c, here);
        }
    }

    fn push(&mut self, c: Pair<'i, Rule>, here: usize) {
        let r = c.as_rule();
        // Keywords, words, literals and flat declarations hold nothing nested: not worth a visit.
        if !is_keyword(r)
            && !matches!(
                r,
                Rule::ident
                    | Rule::string
                    | Rule::number
                    | Rule::date
                    | Rule::money
                    | Rule::enum_decl
                    | Rule::scale_decl
                    | Rule::import
                    | Rule::use_types
                    | Rule::tests_for
                    | Rule::extern_limits
            )
        {
            self.stack.push(Visit::Pair(c, here));
        }
    }

    /// Adds the operands of a `logic`, `filter_logic` or `arith` chain to `operands`.
    fn flatten(&mut self, pair: Pair<'i, Rule>) {
        let (mut level, mut start) = (0, self.prefixes.len());
        for c in pair.into_inner() {
            match c.as_rule() {
                Rule::not_op | Rule::neg_op => self.prefixes.push(c),
                Rule::arith | Rule::postfix_expr => {
                    let end = self.prefixes.len();
                    self.operands.push(Operand {
                        level,
                        prefix: (start, end),
                        main: c,
                        tail: None,
                    });
                    start = end;
                }
                Rule::cmp_tail => {
                    if let Some(last) = self.operands.last_mut() {
                        last.tail = Some(first(c));
                    }
                }
                _ => level = Join::of(&c).level(),
            }
        }
    }

    /// Where operands `from..to` start and end, as the rule holding them would have spanned.
    fn span_of(&self, from: usize, to: usize) -> Span {
        let first = &self.operands[from];
        let start = match first.prefix {
            (a, b) if a < b => self.prefixes[a].as_span().start(),
            _ => first.main.as_span().start(),
        };
        let last = &self.operands[to - 1];
        Span::new(start, span(last.tail.as_ref().unwrap_or(&last.main)).end)
    }

    /// Visits operands `from..to` of a chain as the rule of precedence `level` that held them: a
    /// chain of n operands folds into n - 1 nested operators; a `not` or a unary minus nests its
    /// operand one level, and so does a comparison's right side.
    fn chain(
        &mut self,
        arith: bool,
        mut level: u8,
        from: usize,
        to: usize,
        depth: usize,
    ) -> Result<(), SyntaxError> {
        let operand = if arith { ARITH_OPERAND } else { LOGIC_OPERAND };
        // A level without an operator of its own nests nothing: straight to the next.
        while level < operand {
            let groups = 1 + self.operands[from + 1..to]
                .iter()
                .filter(|o| o.level == level)
                .count();
            if groups > 1 {
                let here = depth + groups - 1;
                if here > MAX_DEPTH {
                    return Err(too_deep(self.span_of(from, to)));
                }
                let mut start = from;
                for i in from + 1..=to {
                    if i == to || self.operands[i].level == level {
                        self.stack.push(Visit::Chain {
                            arith,
                            level: level + 1,
                            from: start,
                            to: i,
                            depth: here,
                        });
                        start = i;
                    }
                }
                return Ok(());
            }
            level += 1;
        }
        // One operand: its prefix operators, then its comparison or field access.
        let (a, b) = self.operands[from].prefix;
        let here = depth + (b - a);
        if here > MAX_DEPTH {
            return Err(too_deep(self.span_of(from, to)));
        }
        for i in a..b {
            let op = self.prefixes[i].clone();
            self.stack.push(Visit::Pair(op, here));
        }
        let main = self.operands[from].main.clone();
        match self.operands[from].tail.clone() {
            None => self.stack.push(Visit::Pair(main, here)),
            Some(tail) => {
                let here = here + 1;
                if here > MAX_DEPTH {
                    let start = main.as_span().start();
                    return Err(too_deep(Span::new(start, span(&tail).end)));
                }
                self.stack.push(Visit::Pair(main, here));
                self.stack.push(Visit::Pair(tail, here));
            }
        }
        Ok(())
    }
}

fn too_deep(span: Span) -> SyntaxError {
    SyntaxError {
        help: None,
        span,
        message: format!(
            "this expression is nested too deeply (more than {MAX_DEPTH} levels): split it with `let`"
        ),
    }
}

/// A pair's span without the whitespace and comments pest may have skipped at its end.
fn span(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    // Skipped text ends in whitespace, or in a comment only at the end of the file: most pairs
    // end with their last token and need no trimming.
    let ends_in_token = !s.as_str().ends_with(|c: char| c.is_whitespace());
    if ends_in_token && s.end() < p.get_input().len() {
        return Span::new(s.start(), s.end());
    }
    Span::new(s.start(), s.start() + trimmed_len(s.as_str()))
}

fn trimmed_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    loop {
        let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&text[line_start..end]) {
            Some(c) => end = text[..line_start + c].trim_end().len(),
            None => return end,
        }
    }
}

/// Where a `#` comment starts on a line, outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    // Most lines have no `#` at all: found by a fast search, not a walk over every character.
    if !line.as_bytes().contains(&b'#') {
        return None;
    }
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

fn error_span(loc: &pest::error::InputLocation) -> Span {
    match *loc {
        pest::error::InputLocation::Pos(p) => Span::new(p, p),
        pest::error::InputLocation::Span((a, b)) => Span::new(a, b),
    }
}

fn syntax_error(e: pest::error::Error<Rule>, source: &str) -> SyntaxError {
    let span = error_span(&e.location);
    let at = source.get(span.start..).unwrap_or("");
    let positives: Vec<Rule> = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        // pest stops short of the stack's end: that much recursion is nesting beyond any limit.
        pest::error::ErrorVariant::CustomError { message } if message.contains("stack limit") => {
            return too_deep(Span::new(span.start, span.start));
        }
        pest::error::ErrorVariant::CustomError { message } if message.contains("limit reached") => {
            return SyntaxError {
 help: None,
                span: Span::new(span.start, span.start),
                message: format!(
                    "this text is too tangled to parse (more than {} steps): look for brackets left open, often around `any …:` or `count of …:`",
                    parse_steps(source)
                ),
            };
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // Mistakes common enough to deserve their own words.
    if let Some(slip) = crate::slips::at_error(source, span.start, &positives) {
        return slip;
    }
    if at.starts_with('"') && !at[1..].lines().next().unwrap_or("").contains('"') {
        return SyntaxError {
            help: None,
            span: Span::new(span.start, span.start + 1),
            message: "this text has no closing `\"` (a text must end on the line it starts)".into(),
        };
    }
    let word: String = at
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if RESERVED.contains(&word.as_str()) && positives.iter().any(|r| matches!(r, Rule::ident)) {
        return SyntaxError {
            help: None,
            span: Span::new(span.start, span.start + word.len()),
            message: format!("`{word}` is a reserved word and cannot be a name"),
        };
    }
    if ["<=", ">=", "!=", "<", ">", "="]
        .iter()
        .any(|op| at.starts_with(op))
        && positives
            .iter()
            .any(|r| matches!(r, Rule::kw_and | Rule::logic_op | Rule::filter_op))
    {
        let len = if at.starts_with("<=") || at.starts_with(">=") || at.starts_with("!=") {
            2
        } else {
            1
        };
        return SyntaxError {
            span: Span::new(span.start, span.start + len),
            message: "comparisons cannot be chained".into(),
            help: Some("write `x between 5 and 10`, or `5 < x and x < 10`".into()),
        };
    }
    let mut words: Vec<&str> = Vec::new();
    for r in &positives {
        match r {
            // The right side of a comparison, refused by its first character: what its forms
            // (`is …`, `= …`, `between …`) would say, had each been tried.
            Rule::cmp_tail => words.extend(["`is`", "a comparison"]),
            // The operators that join conditions, tried as one word.
            Rule::logic_op => words.extend(["`and`", "`or`", "`otherwise`", "`where`"]),
            Rule::filter_op => words.extend(["`and`", "`or`"]),
            _ => words.extend(describe(*r)),
        }
    }
    words.sort_unstable();
    words.dedup();
    let message = match words.as_slice() {
        [] => "unexpected text".to_string(),
        [one] => format!("expected {one}"),
        [init @ .., last] => format!("expected {} or {last}", init.join(", ")),
    };
    SyntaxError {
        span,
        message,
        help: None,
    }
}

/// Words that glue expressions together and so cannot name anything.
pub const RESERVED: [&str; 15] = [
    "and",
    "or",
    "not",
    "in",
    "is",
    "where",
    "otherwise",
    "between",
    "within",
    "when",
    "then",
    "else",
    "true",
    "false",
    "of",
];

/// What a rule looks like to a policy author, for "expected …" messages.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::header
        | Rule::import
        | Rule::use_types
        | Rule::tests_for
        | Rule::enum_decl
        | Rule::record_decl
        | Rule::input_decl
        | Rule::param_decl
        | Rule::let_decl
        | Rule::fn_decl
        | Rule::extern_fn_decl
        | Rule::extern_limits
        | Rule::scale_decl
        | Rule::group_decl
        | Rule::decision_decl
        | Rule::table_decl
        | Rule::test_decl => "a declaration (policy, record, enum, input, param, let, fn, group, scale, decision, table, test)",
        Rule::hit_policy => "a hit policy: `(first)` or `(unique)`",
        Rule::table_inputs => "`inputs` and the names of the table's inputs",
        Rule::table_row | Rule::table_cell => "a row of the table: `| condition | … | outcome |`",
        Rule::header_field | Rule::title | Rule::version | Rule::in_force | Rule::source | Rule::header_as_at => {
            "a header line (title, version, in_force, source, as_at)"
        }
        Rule::ident => "a name",
        Rule::string => "a quoted text",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::type_expr | Rule::list_type => "a type",
        Rule::field_decl => "a field (name: type)",
        Rule::enum_value => "an enum value",
        Rule::scale_level => "a level",
        Rule::need_decl | Rule::need_kw => "a need or indicator",
        Rule::need_when => "`when` and the condition",
        Rule::need_level => "`level`",
        Rule::expr
        | Rule::when_expr
        | Rule::logic
        | Rule::filter_logic
        | Rule::arith
        | Rule::postfix_expr
        | Rule::list_expr
        | Rule::quantifier
        | Rule::aggregate
        | Rule::highest
        | Rule::met_list
        | Rule::number
        | Rule::money
        | Rule::percent
        | Rule::duration
        | Rule::boolean => "an expression",
        Rule::cmp_op | Rule::compare => "a comparison",
        Rule::arith_op => "an operator",
        Rule::field_access => "`.field`",
        Rule::time_unit => "a unit (days, weeks, months, years)",
        Rule::direction => "`before` or `after`",
        Rule::param_value | Rule::param_dated => "`= value` or `{ from DATE: value }`",
        Rule::dated_value => "`from DATE: value`",
        Rule::fn_params | Rule::fn_param => "a parameter (name: type)",
        Rule::extern_limit => "a limit (a name and a number, e.g. `operations 200000`)",
        Rule::filter => "`where`",
        Rule::binder_agg => "`NAME in LIST`",
        Rule::test_step
        | Rule::given_file
        | Rule::given_json
        | Rule::with_value
        | Rule::as_at
        | Rule::expectation => "a test step (given, with, as_at, expect)",
        Rule::expect_decision | Rule::expect_need | Rule::expect_missing | Rule::expect_error => {
            "an expectation"
        }
        Rule::expected | Rule::undetermined | Rule::id_list => "an expected value",
        Rule::met_state => "`met`, `not met` or `undetermined`",
        Rule::json_value | Rule::json_object | Rule::json_array | Rule::json_number | Rule::null => {
            "a JSON value"
        }
        Rule::json_member => "a JSON member (\"key\": value)",
        Rule::json_path => "a record path",
        Rule::required => "`required`",
        Rule::kw_else => "`else`",
        Rule::kw_then => "`then`",
        Rule::kw_when => "`when`",
        Rule::kw_and => "`and`",
        Rule::kw_in => "`in`",
        Rule::kw_of => "`of`",
        Rule::kw_is | Rule::kw_are => "`is`",
        Rule::kw_to => "`to`",
        Rule::kw_met => "`met`",
        Rule::kw_where => "`where`",
        Rule::kw_assign => "`=`",
        Rule::kw_colon => "`:`",
        Rule::kw_open => "`{`",
        Rule::kw_close => "`}`",
        _ => return None,
    })
}

/// The pairs that carry meaning (keyword tokens are dropped).
fn inner(p: Pair<Rule>) -> impl Iterator<Item = Pair<Rule>> {
    p.into_inner().filter(|c| !is_keyword(c.as_rule()))
}

/// Whether `rule` is a keyword token (its name starts `kw_`; `true` and `false` are values).
/// Asked of every pair, so answered from a table indexed by rule, made once.
fn is_keyword(rule: Rule) -> bool {
    static KEYWORDS: std::sync::OnceLock<Vec<bool>> = std::sync::OnceLock::new();
    KEYWORDS
        .get_or_init(|| {
            let len = Rule::all_rules().iter().map(|r| *r as usize + 1).max();
            let mut table = vec![false; len.unwrap_or(0)];
            for r in Rule::all_rules() {
                table[*r as usize] = format!("{r:?}").starts_with("kw_")
                    && !matches!(r, Rule::kw_true | Rule::kw_false);
            }
            table
        })
        .get(rule as usize)
        .copied()
        .unwrap_or(false)
}

fn ident(p: Pair<Rule>) -> Ident {
    Ident {
        name: p.as_str().to_string(),
        span: span(&p),
    }
}

fn text(p: Pair<Rule>) -> Text {
    let sp = span(&p);
    let raw = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
    Text {
        value: unescape(raw),
        span: sp,
    }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn literal(p: Pair<Rule>) -> Literal {
    let kind = match p.as_rule() {
        Rule::number => LitKind::Number,
        Rule::percent => LitKind::Percent,
        Rule::money => LitKind::Money,
        Rule::date => LitKind::Date,
        Rule::duration => LitKind::Duration,
        Rule::string => LitKind::Text,
        _ => LitKind::Bool,
    };
    let sp = span(&p);
    let text = match kind {
        LitKind::Text => text(p).value,
        LitKind::Duration => p.as_str().split_whitespace().collect::<Vec<_>>().join(" "),
        _ => p.as_str().to_string(),
    };
    Literal {
        kind,
        text,
        span: sp,
    }
}

fn item(p: Pair<Rule>) -> Item {
    let sp = span(&p);
    match p.as_rule() {
        Rule::header => {
            let mut it = inner(p);
            let name = ident(it.next().expect("grammar: header name"));
            let mut h = Header {
                name,
                title: None,
                version: None,
                in_force: None,
                source: None,
                as_at: None,
                span: sp,
            };
            for field in it {
                let f = field.into_inner().next().expect("grammar: header field");
                match f.as_rule() {
                    Rule::title => h.title = inner(f).next().map(text),
                    Rule::version => h.version = inner(f).next().map(text),
                    Rule::source => h.source = inner(f).next().map(text),
                    Rule::header_as_at => h.as_at = inner(f).next().map(expr),
                    _ => {
                        let mut d = inner(f).map(literal);
                        let from = d.next().expect("grammar: in_force date");
                        h.in_force = Some(InForce { from, to: d.next() });
                    }
                }
            }
            Item::Header(h)
        }
        Rule::import => Item::Import(text(first(p))),
        Rule::use_types => Item::UseTypes(text(first(p))),
        Rule::tests_for => Item::TestsFor(text(first(p))),
        Rule::enum_decl => {
            let mut it = inner(p);
            let name = ident(it.next().expect("grammar: enum name"));
            Item::Enum(EnumDecl {
                name,
                values: it.map(labelled).collect(),
                span: sp,
            })
        }
        Rule::scale_decl => {
            let mut it = inner(p);
            let name = ident(it.next().expect("grammar: scale name"));
            Item::Scale(ScaleDecl {
                name,
                levels: it.map(labelled).collect(),
                span: sp,
            })
        }
        Rule::record_decl => {
            let mut it = inner(p);
            let name = ident(it.next().expect("grammar: record name"));
            let fields = it
                .map(|f| {
                    let fsp = span(&f);
                    let mut fi = inner(f);
                    let name = ident(fi.next().expect("grammar: field name"));
                    let ty = type_expr(fi.next().expect("grammar: field type"));
                    FieldDecl {
                        name,
                        ty,
                        required: fi.next().is_some(),
                        span: fsp,
                    }
                })
                .collect();
            Item::Record(RecordDecl {
                name,
                fields,
                span: sp,
            })
        }
        Rule::input_decl => {
            let mut it = inner(p);
            let name = ident(it.next().expect("grammar: input name"));
            let ty = type_expr(it.next().expect("grammar: input type"));
            Item::Input(InputDecl { name, ty, span: sp })
        }
        Rule::param_decl => {
            let mut it = inner(p);
            let name = ident(it.next().expect("grammar: param name"));
            let ty = type_expr(it.next().expect("grammar: param type"));
            let v = it.next().expect("grammar: param value");
            let value = if v.as_rule() == Rule::param_value {
                ParamValue::Fixed(expr(first(v)))
            } else {
                ParamValue::Dated(
                    inner(v)
                        .map(|d| {
                            let mut di = inner(d);
                            let date = literal(di.next().expect("grammar: dated value date"));
                            (date, expr(di.next().expect("grammar: dated value")))
                        })
                        .collect(),
                )
            };
            Item::Param(ParamDecl {
                name,
                ty,
                value,
                span: sp,
            })
        }
        Rule::let_decl => {
            let mut it = inner(p);
            let name = ident(it.next().expect("grammar: let name"));
            let (ty, value) = typed(&mut it);
            Item::Let(LetDecl {
                name,
                ty,
                value: expr(value),
                span: sp,
            })
        }
        Rule::fn_decl => {
            let mut it = inner(p);
            let name = ident(it.next().expect("grammar: fn name"));
            let params = fn_params(it.next().expect("grammar: fn params"));
            let (ret, body) = typed(&mut it);
            Item::Fn(FnDecl {
                name,
                params,
                ret,
                body: expr(body),
                span: sp,
            })
        }
        Rule::extern_fn_decl => {
            let mut it = inner(p);
            let name = ident(it.next().expect("grammar: extern name"));
            let params = fn_params(it.next().expect("grammar: extern params"));
            let ret = type_expr(it.next().expect("grammar: extern type"));
            let script = text(it.next().expect("grammar: extern script"));
            Item::ExternFn(ExternFnDecl {
                name,
                params,
                ret,
                script,
                span: sp,
            })
        }
        Rule::extern_limits => Item::ExternLimits(ExternLimits {
            limits: inner(p)
                .map(|l| {
                    let span = span(&l);
                    let mut it = inner(l);
                    let name = ident(it.next().expect("grammar: limit name"));
                    let value = literal(it.next().expect("grammar: limit value"));
                    ExternLimit { name, value, span }
                })
                .collect(),
            span: sp,
        }),
        Rule::group_decl => {
            let mut it = inner(p).peekable();
            let id = ident(it.next().expect("grammar: group id"));
            let label = text(it.next().expect("grammar: group label"));
            let mut source = None;
            if it.peek().map(|x| x.as_rule()) == Some(Rule::source) {
                source = it.next().and_then(|s| inner(s).next()).map(text);
            }
            Item::Group(GroupDecl {
                id,
                label,
                source,
                needs: it.map(need).collect(),
                span: sp,
            })
        }
        Rule::decision_decl => {
            let mut it = inner(p).peekable();
            let internal = it.next_if(|x| x.as_rule() == Rule::internal).is_some();
            let name = ident(it.next().expect("grammar: decision name"));
            let mut next = it.next().expect("grammar: decision value");
            let mut label = None;
            if next.as_rule() == Rule::string {
                label = Some(text(next));
                next = it.next().expect("grammar: decision value");
            }
            let mut for_each = None;
            if next.as_rule() == Rule::for_each {
                let mut f = inner(next);
                let binder = ident(f.next().expect("grammar: for each binder"));
                let list = expr(f.next().expect("grammar: for each list"));
                for_each = Some(ForEach { binder, list });
                next = it.next().expect("grammar: decision value");
            }
            let value = expr(next);
            let only_when = it
                .next()
                .map(|g| expr(inner(g).next().expect("grammar: only when condition")));
            Item::Decision(DecisionDecl {
                name,
                label,
                for_each,
                value,
                only_when,
                internal,
                span: sp,
            })
        }
        Rule::table_decl => Item::Table(table(p)),
        Rule::test_decl => {
            let mut it = inner(p);
            let name = text(it.next().expect("grammar: test name"));
            Item::Test(TestDecl {
                name,
                steps: it.map(test_step).collect(),
                span: sp,
            })
        }
        r => unreachable!("grammar: unexpected item {r:?}"),
    }
}

fn table(p: Pair<Rule>) -> TableDecl {
    let sp = span(&p);
    let mut it = inner(p).peekable();
    let name = ident(it.next().expect("grammar: table name"));
    let label = if it.peek().map(|x| x.as_rule()) == Some(Rule::string) {
        it.next().map(text)
    } else {
        None
    };
    let hit = match it
        .next()
        .map(|h| h.as_str().trim_start_matches('(').trim().to_string())
    {
        Some(h) if h.starts_with("unique") => HitPolicy::Unique,
        _ => HitPolicy::First,
    };
    let complete = it.peek().map(|x| x.as_rule()) == Some(Rule::table_complete);
    if complete {
        it.next();
    }
    let inputs = inner(it.next().expect("grammar: table inputs"))
        .map(expr)
        .collect();
    let rows = it
        .map(|row| {
            let span = span(&row);
            let mut cells: Vec<Cell> = inner(row).map(cell).collect();
            // The last cell is the outcome (a value; the checker refuses a condition there).
            let outcome = cells.pop().expect("grammar: a row has a cell");
            TableRow {
                cells,
                outcome,
                span,
            }
        })
        .collect();
    TableDecl {
        name,
        label,
        hit,
        complete,
        inputs,
        rows,
        span: sp,
    }
}

fn cell(p: Pair<Rule>) -> Cell {
    let span = span(&p);
    let c = first(p);
    let kind = match c.as_rule() {
        Rule::cell_any => CellKind::Any,
        Rule::cell_between => {
            let mut t = inner(c);
            let lo = expr(t.next().expect("grammar: between low"));
            CellKind::Between(lo, expr(t.next().expect("grammar: between high")))
        }
        Rule::cell_compare => {
            let mut t = inner(c);
            let op = cmp_op(t.next().expect("grammar: cmp op"));
            CellKind::Compare(op, expr(t.next().expect("grammar: cmp value")))
        }
        _ => CellKind::Value(expr(c)),
    };
    Cell { kind, span }
}

/// The operator of a `cmp_op`.
fn cmp_op(p: Pair<Rule>) -> BinOp {
    match p.as_str() {
        "<=" => BinOp::Le,
        ">=" => BinOp::Ge,
        "!=" => BinOp::Ne,
        "<" => BinOp::Lt,
        ">" => BinOp::Gt,
        _ => BinOp::Eq,
    }
}

fn first(p: Pair<Rule>) -> Pair<Rule> {
    inner(p).next().expect("grammar: rule has a child")
}

fn labelled(p: Pair<Rule>) -> Labelled {
    let mut it = inner(p);
    let id = ident(it.next().expect("grammar: label id"));
    Labelled {
        id,
        label: it.next().map(text),
    }
}

/// An optional `: Type` and the expression after it, as in `let x: number = …` and
/// `fn f(…): bool = …`.
fn typed<'a>(it: &mut impl Iterator<Item = Pair<'a, Rule>>) -> (Option<TypeExpr>, Pair<'a, Rule>) {
    let next = it.next().expect("grammar: a value");
    if next.as_rule() != Rule::type_expr {
        return (None, next);
    }
    let ty = type_expr(next);
    (
        Some(ty),
        it.next().expect("grammar: a value after its type"),
    )
}

fn fn_params(p: Pair<Rule>) -> Vec<FnParam> {
    inner(p)
        .map(|fp| {
            let mut it = inner(fp);
            let name = ident(it.next().expect("grammar: param name"));
            FnParam {
                name,
                ty: type_expr(it.next().expect("grammar: param type")),
            }
        })
        .collect()
}

fn type_expr(p: Pair<Rule>) -> TypeExpr {
    let end = span(&p).end;
    let c = first(p);
    match c.as_rule() {
        Rule::list_type => {
            // `list of list of X`: one `list` keyword per level, each level's span running from
            // its keyword to the end of the type.
            let mut starts = Vec::new();
            let mut ty = None;
            for part in c.into_inner() {
                match part.as_rule() {
                    Rule::kw_list => starts.push(part.as_span().start()),
                    Rule::ident => ty = Some(TypeExpr::Named(ident(part))),
                    _ => {}
                }
            }
            let named = ty.expect("grammar: list element type");
            starts.into_iter().rev().fold(named, |inner, start| {
                TypeExpr::List(Box::new(inner), Span::new(start, end))
            })
        }
        _ => TypeExpr::Named(ident(c)),
    }
}

fn need(p: Pair<Rule>) -> NeedDecl {
    let sp = span(&p);
    let mut it = inner(p);
    let kw = it.next().expect("grammar: need keyword");
    let kind = if kw.as_str() == "indicator" {
        NeedKind::Indicator
    } else {
        NeedKind::Need
    };
    let id = ident(it.next().expect("grammar: need id"));
    let label = text(it.next().expect("grammar: need label"));
    let (mut source, mut level, mut when) = (None, None, None);
    for f in it {
        match f.as_rule() {
            Rule::source => source = inner(f).next().map(text),
            Rule::need_level => level = inner(f).next().map(ident),
            _ => when = Some(expr(first(f))),
        }
    }
    NeedDecl {
        kind,
        id,
        label,
        source,
        level,
        when: when.expect("grammar: need has when"),
        span: sp,
    }
}

fn json(p: Pair<Rule>) -> Json {
    Json {
        text: compact_json(p.as_str()),
        span: span(&p),
    }
}

/// JSON without the whitespace between its tokens, so that the printer may lay it out afresh.
/// Text with a comment in it is kept as written.
fn compact_json(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in raw.chars() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '#' {
            return raw.to_string();
        } else if c == '"' {
            in_string = true;
        } else if c.is_whitespace() {
            continue;
        }
        out.push(c);
    }
    out
}

fn test_step(p: Pair<Rule>) -> TestStep {
    match p.as_rule() {
        Rule::given_file => TestStep::GivenFile(text(first(p))),
        Rule::given_json => TestStep::GivenJson(json(first(p))),
        Rule::with_value => {
            let mut it = inner(p);
            let path = it.next().expect("grammar: with path");
            let path = JsonPath {
                text: path.as_str().to_string(),
                span: span(&path),
            };
            TestStep::With(path, json(it.next().expect("grammar: with value")))
        }
        Rule::as_at => TestStep::AsAt(literal(first(p))),
        _ => {
            let sp = span(&p);
            let e = first(p);
            let kind = match e.as_rule() {
                Rule::expect_decision => {
                    let mut it = inner(e);
                    let name = ident(it.next().expect("grammar: expect name"));
                    let v = first(it.next().expect("grammar: expected value"));
                    let value = match v.as_rule() {
                        Rule::undetermined => Expected::Undetermined,
                        Rule::id_list => Expected::Ids(inner(v).map(ident).collect()),
                        Rule::ident => Expected::Id(ident(v)),
                        _ => Expected::Json(json(v)),
                    };
                    ExpectKind::Decision { name, value }
                }
                Rule::expect_need => {
                    let mut it = inner(e);
                    let subj = it.next().expect("grammar: need subject");
                    let subject = if subj.as_str() == "group" {
                        NeedSubject::Group
                    } else {
                        NeedSubject::Need
                    };
                    let id = ident(it.next().expect("grammar: need id"));
                    let st = it.next().expect("grammar: met state");
                    let state = match st.as_str().split_whitespace().next() {
                        Some("met") => MetState::Met,
                        Some("not") => MetState::NotMet,
                        _ => MetState::Undetermined,
                    };
                    ExpectKind::Need { subject, id, state }
                }
                Rule::expect_missing => ExpectKind::Missing(json(first(e))),
                _ => ExpectKind::Error(text(first(e))),
            };
            TestStep::Expect(Expectation { kind, span: sp })
        }
    }
}

// ---------------------------------------------------------------- expressions

fn boxed(p: Pair<Rule>) -> Box<Expr> {
    Box::new(expr(p))
}

fn mk(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

/// Builds an expression from any expression-level rule. Levels with a single child collapse, so
/// the tree holds only operators that were written.
pub(crate) fn expr(p: Pair<Rule>) -> Expr {
    let sp = span(&p);
    match p.as_rule() {
        Rule::expr | Rule::primary => expr(first(p)),
        Rule::when_expr => {
            let mut arms = Vec::new();
            let mut otherwise = None;
            for c in inner(p) {
                if c.as_rule() == Rule::when_arm {
                    let mut it = inner(c);
                    let cond = expr(it.next().expect("grammar: when condition"));
                    arms.push((cond, expr(it.next().expect("grammar: then value"))));
                } else {
                    otherwise = Some(boxed(c));
                }
            }
            mk(
                ExprKind::When {
                    arms,
                    otherwise: otherwise.expect("grammar: else"),
                },
                sp,
            )
        }
        Rule::logic | Rule::filter_logic => logic(p),
        Rule::arith => arith(p),
        Rule::postfix_expr => {
            let mut it = inner(p).peekable();
            let head = it.next().expect("grammar: primary");
            let mut e = if head.as_rule() != Rule::ident {
                expr(head)
            } else if let Some(args) = it.next_if(|a| a.as_rule() == Rule::call_args) {
                let s = Span::new(head.as_span().start(), span(&args).end);
                mk(
                    ExprKind::Call(ident(head), inner(args).map(expr).collect()),
                    s,
                )
            } else {
                let name = ident(head);
                let s = name.span;
                mk(ExprKind::Name(name), s)
            };
            for f in it {
                let field = ident(first(f));
                let s = e.span.to(field.span);
                e = mk(ExprKind::Field(Box::new(e), field), s);
            }
            e
        }
        Rule::list_expr => mk(ExprKind::List(inner(p).map(expr).collect()), sp),
        Rule::quantifier => {
            let mut it = inner(p);
            let quant = match it.next().expect("grammar: quantifier").as_str() {
                "any" => Quant::Any,
                "all" => Quant::All,
                _ => Quant::None,
            };
            let binder = ident(it.next().expect("grammar: binder"));
            let list = boxed(it.next().expect("grammar: list"));
            let mut next = it.next().expect("grammar: body");
            let mut filter = None;
            if next.as_rule() == Rule::filter {
                filter = Some(boxed(first(next)));
                next = it.next().expect("grammar: body");
            }
            mk(
                ExprKind::Quantifier {
                    quant,
                    binder,
                    list,
                    filter,
                    body: boxed(next),
                },
                sp,
            )
        }
        Rule::aggregate => {
            let mut it = inner(p);
            let agg = match it.next().expect("grammar: aggregate").as_str() {
                "count" => Agg::Count,
                "sum" => Agg::Sum,
                "min" => Agg::Min,
                _ => Agg::Max,
            };
            let target = it.next().expect("grammar: aggregate operand");
            let kind = if target.as_rule() == Rule::binder_agg {
                let mut b = inner(target);
                let binder = Some(ident(b.next().expect("grammar: binder")));
                let list = boxed(b.next().expect("grammar: list"));
                let (mut filter, mut body) = (None, None);
                for c in b {
                    if c.as_rule() == Rule::filter {
                        filter = Some(boxed(first(c)));
                    } else {
                        body = Some(boxed(c));
                    }
                }
                ExprKind::Aggregate {
                    agg,
                    binder,
                    list,
                    filter,
                    body,
                }
            } else {
                ExprKind::Aggregate {
                    agg,
                    binder: None,
                    list: boxed(target),
                    filter: None,
                    body: None,
                }
            };
            mk(kind, sp)
        }
        Rule::highest => mk(ExprKind::Highest(ident(first(p))), sp),
        Rule::met_list => {
            let kind = if first(p).as_str() == "groups" {
                MetKind::Groups
            } else {
                MetKind::Needs
            };
            mk(ExprKind::Met(kind), sp)
        }
        _ => mk(ExprKind::Lit(literal(p)), sp),
    }
}

/// An operator of a flattened chain, with how tightly it binds: in `logic` otherwise, where, or,
/// and (loosest first); in `arith` + -, then * /.
#[derive(Clone, Copy)]
enum Join {
    Otherwise,
    Where,
    Bin(BinOp),
}

impl Join {
    fn level(self) -> u8 {
        match self {
            Join::Otherwise => OTHERWISE,
            Join::Where => WHERE,
            Join::Bin(BinOp::Or) => OR,
            Join::Bin(BinOp::And) => AND,
            Join::Bin(BinOp::Add | BinOp::Sub) => ADD,
            Join::Bin(_) => MUL,
        }
    }

    fn of(op: &Pair<Rule>) -> Join {
        match op.as_str() {
            "otherwise" => Join::Otherwise,
            "where" => Join::Where,
            "or" => Join::Bin(BinOp::Or),
            "and" => Join::Bin(BinOp::And),
            "+" => Join::Bin(BinOp::Add),
            "-" => Join::Bin(BinOp::Sub),
            "*" => Join::Bin(BinOp::Mul),
            _ => Join::Bin(BinOp::Div),
        }
    }
}

// The levels of the chains' operators, loosest first (see `Join`); an operand is deeper than all.
const OTHERWISE: u8 = 1;
const WHERE: u8 = 2;
const OR: u8 = 3;
const AND: u8 = 4;
const ADD: u8 = 1;
const MUL: u8 = 2;

/// Folds a flattened chain by precedence, each level to the left, as a rule a level did:
/// `a or b and c or d` is `(a or (b and c)) or d`. Without recursion, so that a long chain takes
/// no more stack than a short one. The last operand waits outside the stack: most chains are
/// one operand, and then the stack is never needed.
#[derive(Default)]
struct Fold {
    operands: Vec<Expr>,
    operators: Vec<Join>,
    last: Option<Expr>,
}

impl Fold {
    fn operand(&mut self, e: Expr) {
        self.last = Some(e);
    }

    fn operator(&mut self, join: Join) {
        self.operands.extend(self.last.take());
        self.reduce(join.level());
        self.operators.push(join);
    }

    /// Applies the pending operators that bind at least as tightly as `level`.
    fn reduce(&mut self, level: u8) {
        while let Some(&join) = self.operators.last() {
            if join.level() < level {
                break;
            }
            self.operators.pop();
            let b = self.operands.pop().expect("grammar: right operand");
            let a = self.operands.pop().expect("grammar: left operand");
            let s = a.span.to(b.span);
            let (a, b) = (Box::new(a), Box::new(b));
            let kind = match join {
                Join::Otherwise => ExprKind::Otherwise(a, b),
                Join::Where => ExprKind::Where(a, b),
                Join::Bin(op) => ExprKind::Binary(op, a, b),
            };
            self.operands.push(mk(kind, s));
        }
    }

    fn finish(mut self) -> Expr {
        if self.operators.is_empty() {
            if let Some(e) = self.last {
                return e;
            }
        }
        self.operands.extend(self.last.take());
        self.reduce(0);
        self.operands.pop().expect("grammar: operand")
    }
}

/// `logic` or `filter_logic`: comparisons, each with its `not`s, joined by otherwise, where, or
/// and and.
fn logic(p: Pair<Rule>) -> Expr {
    let mut fold = Fold::default();
    let mut nots: Vec<Pair<Rule>> = Vec::new();
    let mut it = p.into_inner().peekable();
    while let Some(c) = it.next() {
        match c.as_rule() {
            Rule::not_op => nots.push(c),
            Rule::arith => {
                let tail = it.next_if(|t| t.as_rule() == Rule::cmp_tail);
                fold.operand(prefixed(comparison(c, tail), &mut nots, ExprKind::Not));
            }
            _ => fold.operator(Join::of(&c)),
        }
    }
    fold.finish()
}

/// `arith`: field accesses and calls, each with its unary minuses, joined by + - * /.
fn arith(p: Pair<Rule>) -> Expr {
    let mut fold = Fold::default();
    let mut negs: Vec<Pair<Rule>> = Vec::new();
    for c in p.into_inner() {
        match c.as_rule() {
            Rule::neg_op => negs.push(c),
            Rule::postfix_expr => {
                fold.operand(prefixed(expr(c), &mut negs, ExprKind::Neg));
            }
            _ => fold.operator(Join::of(&c)),
        }
    }
    fold.finish()
}

/// `e` under the prefix operators (`not`s or unary minuses) read before it, the nearest
/// innermost.
fn prefixed(mut e: Expr, ops: &mut Vec<Pair<Rule>>, kind: fn(Box<Expr>) -> ExprKind) -> Expr {
    while let Some(op) = ops.pop() {
        let s = span(&op).to(e.span);
        e = mk(kind(Box::new(e)), s);
    }
    e
}

/// An operand of `logic` and its right side, if it has one.
fn comparison(lhs_pair: Pair<Rule>, tail: Option<Pair<Rule>>) -> Expr {
    let start = lhs_pair.as_span().start();
    let lhs = Box::new(arith(lhs_pair));
    let Some(tail) = tail else { return *lhs };
    let tail = first(tail);
    let sp = Span::new(start, span(&tail).end);
    let kind = match tail.as_rule() {
        Rule::compare => {
            let mut t = inner(tail);
            let op = cmp_op(t.next().expect("grammar: cmp op"));
            ExprKind::Binary(op, lhs, boxed(t.next().expect("grammar: cmp rhs")))
        }
        Rule::between => {
            let mut t = inner(tail);
            let low = boxed(t.next().expect("grammar: between low"));
            ExprKind::Between(lhs, low, boxed(t.next().expect("grammar: between high")))
        }
        Rule::is_known => ExprKind::Known {
            value: lhs,
            known: true,
        },
        Rule::is_missing => ExprKind::Known {
            value: lhs,
            known: false,
        },
        Rule::is_value | Rule::in_list => {
            let is = tail.as_rule() == Rule::is_value;
            let mut negated = false;
            let mut rhs = None;
            for c in inner(tail) {
                if c.as_rule() == Rule::negation {
                    negated = true;
                } else {
                    rhs = Some(boxed(c));
                }
            }
            let rhs = rhs.expect("grammar: is/in operand");
            if is {
                ExprKind::Is {
                    value: lhs,
                    rhs,
                    negated,
                }
            } else {
                ExprKind::In {
                    value: lhs,
                    list: rhs,
                    negated,
                }
            }
        }
        _ => {
            let mut t = inner(tail);
            let duration = boxed(t.next().expect("grammar: within duration"));
            let direction = if t.next().expect("grammar: direction").as_str() == "before" {
                Direction::Before
            } else {
                Direction::After
            };
            let anchor = boxed(t.next().expect("grammar: within anchor"));
            ExprKind::Within {
                date: lhs,
                duration,
                direction,
                anchor,
            }
        }
    };
    mk(kind, sp)
}

/// Finds `# …` comments outside string literals.
fn comments(source: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let bytes = source.as_bytes();
    let (mut i, mut in_string) = (0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'\n' => in_string = false,
            b'#' if !in_string => {
                let end = source[i..].find('\n').map_or(source.len(), |n| i + n);
                out.push(Comment {
                    text: source[i..end].trim_end().to_string(),
                    span: Span::new(i, end),
                    blank_before: blank_line_before(source, i),
                    blank_after: blank_line_after(source, end),
                    after_code: code_before(source, i),
                });
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Whether the line holding byte `i` follows an empty line.
fn blank_line_before(source: &str, i: usize) -> bool {
    let line_start = source[..i].rfind('\n').map_or(0, |n| n + 1);
    if line_start == 0 {
        return false;
    }
    let previous = &source[..line_start - 1];
    let previous_line = &previous[previous.rfind('\n').map_or(0, |n| n + 1)..];
    previous_line.trim().is_empty()
}

/// Whether the line after the one ending at byte `end` is empty.
fn blank_line_after(source: &str, end: usize) -> bool {
    let rest = source.get(end..).unwrap_or("");
    let mut lines = rest.split('\n');
    lines.next();
    matches!(lines.next(), Some(l) if l.trim().is_empty()) && !rest.trim().is_empty()
}

/// For a comment at byte `i`: the end of the code before it on its line, if there is any.
fn code_before(source: &str, i: usize) -> Option<usize> {
    let line_start = source[..i].rfind('\n').map_or(0, |n| n + 1);
    let code = source[line_start..i].trim_end();
    (!code.is_empty()).then(|| line_start + code.len())
}
