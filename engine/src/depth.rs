//! How deep evaluating a program can recurse, bounded before it runs.
//!
//! The evaluator recurses over expressions, and into the lets, fns, needs and decisions they
//! use, on the caller's thread — a rayon worker in the CLI, with 2 MiB of stack. The grammar
//! bounds one expression (256 levels) and the checker a chain of definitions (64), but together
//! they allow 64 × 256 levels, which overflows such a stack (a crash that no `catch_unwind`
//! stops). So a loaded program's whole evaluation depth, through everything it uses, is measured
//! here and a policy deeper than [`MAX_EVAL_DEPTH`] is refused at load — never at run time.

use crate::diagnostic::Finding;
use crate::ir::{Expr, Loc, Node, Program};

/// How deep one evaluation may recurse, counting every expression level and every definition
/// entered. Far beyond a readable policy (the deepest shipped policy needs 35); small enough
/// to evaluate on a 2 MiB stack in a release build (a debug build's frames are several times
/// larger: `engine/tests/limits.rs` gives it 8 MiB).
pub(crate) const MAX_EVAL_DEPTH: usize = 512;

#[derive(Clone, Copy, PartialEq)]
enum Memo {
    Todo,
    InProgress,
    Done(usize),
}

struct Depths<'p> {
    program: &'p Program,
    lets: Vec<Memo>,
    functions: Vec<Memo>,
    needs: Vec<Memo>,
    decisions: Vec<Memo>,
}

/// Refuses a program whose evaluation could recurse deeper than [`MAX_EVAL_DEPTH`], naming the
/// first decision, need, let or `as_at` that would.
pub(crate) fn check(program: &Program) -> Result<(), Finding> {
    let mut d = Depths {
        program,
        lets: vec![Memo::Todo; program.lets.len()],
        functions: vec![Memo::Todo; program.functions.len()],
        needs: vec![Memo::Todo; program.needs.len()],
        decisions: vec![Memo::Todo; program.decisions.len()],
    };
    let mut roots: Vec<(usize, Loc, String)> = Vec::new();
    for (i, dec) in program.decisions.iter().enumerate() {
        roots.push((
            d.decision(i as u32),
            dec.value.loc,
            format!("decision `{}`", dec.name),
        ));
    }
    for (i, need) in program.needs.iter().enumerate() {
        roots.push((
            d.need(i as u32),
            need.when.loc,
            format!("need `{}`", need.id),
        ));
    }
    for (i, l) in program.lets.iter().enumerate() {
        roots.push((d.let_(i as u32), l.value.loc, "this let".into()));
    }
    if let Some((e, _)) = &program.as_at {
        roots.push((d.expr(e), e.loc, "`as_at`".into()));
    }
    match roots
        .into_iter()
        .find(|(depth, _, _)| *depth > MAX_EVAL_DEPTH)
    {
        None => Ok(()),
        Some((depth, loc, what)) => {
            let mut f = Finding::error(
                loc,
                format!(
                    "evaluating {what} goes {depth} levels deep through the expressions, lets, \
                     fns and needs it uses (at most {MAX_EVAL_DEPTH})"
                ),
            );
            f.help = Some(
                "split deeply nested expressions with `let`, and shorten chains of lets and fns"
                    .into(),
            );
            Err(f)
        }
    }
}

impl Depths<'_> {
    fn memo(
        table: fn(&mut Self) -> &mut Vec<Memo>,
        this: &mut Self,
        i: u32,
        body: impl FnOnce(&mut Self) -> usize,
    ) -> usize {
        match table(this).get(i as usize).copied() {
            Some(Memo::Done(n)) => return n,
            // A cycle cannot reach here (the checker refuses them); count nothing more.
            Some(Memo::InProgress) | None => return 0,
            Some(Memo::Todo) => {}
        }
        table(this)[i as usize] = Memo::InProgress;
        let n = body(this);
        table(this)[i as usize] = Memo::Done(n);
        n
    }

    fn let_(&mut self, i: u32) -> usize {
        let program = self.program;
        Self::memo(
            |s| &mut s.lets,
            self,
            i,
            |s| {
                program
                    .lets
                    .get(i as usize)
                    .map_or(0, |l| 1 + s.expr(&l.value))
            },
        )
    }

    fn function(&mut self, i: u32) -> usize {
        let program = self.program;
        Self::memo(
            |s| &mut s.functions,
            self,
            i,
            |s| {
                program
                    .functions
                    .get(i as usize)
                    .map_or(0, |f| 1 + s.expr(&f.body))
            },
        )
    }

    fn need(&mut self, i: u32) -> usize {
        let program = self.program;
        Self::memo(
            |s| &mut s.needs,
            self,
            i,
            |s| {
                program
                    .needs
                    .get(i as usize)
                    .map_or(0, |n| 1 + s.expr(&n.when))
            },
        )
    }

    fn decision(&mut self, i: u32) -> usize {
        let program = self.program;
        Self::memo(
            |s| &mut s.decisions,
            self,
            i,
            |s| {
                program.decisions.get(i as usize).map_or(0, |d| {
                    let list = d.for_each.as_ref().map_or(0, |f| s.expr(&f.list));
                    1 + s.expr(&d.value).max(list)
                })
            },
        )
    }

    /// Any need: groups, `needs met`, `highest level met` and properties of needs evaluate them.
    fn every_need(&mut self) -> usize {
        (0..self.program.needs.len() as u32)
            .map(|n| self.need(n))
            .max()
            .unwrap_or(0)
            + 1
    }

    fn expr(&mut self, e: &Expr) -> usize {
        let uses = match &e.node {
            Node::Let(i) => self.let_(*i),
            Node::Call { function, .. } => self.function(*function),
            Node::Need(i) => self.need(*i),
            Node::Decision(i) => self.decision(*i),
            Node::Group(_)
            | Node::Highest
            | Node::MetGroups
            | Node::MetNeeds
            | Node::AllGroups
            | Node::AllNeeds
            | Node::Meta { .. } => self.every_need(),
            _ => 0,
        };
        let children = e
            .node
            .children()
            .into_iter()
            .map(|c| self.expr(c))
            .max()
            .unwrap_or(0);
        1 + uses.max(children)
    }
}
