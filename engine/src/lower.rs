//! Lowering: the last pass before evaluation. The checked program is already resolved and typed;
//! here it is made cheaper to run. A param with one fixed value is a constant, so every use of it
//! becomes that constant, and conditions that are constant fold away. Dated params stay lookups
//! because their value depends on the as-at date.

use crate::ir::*;
use crate::value::Value;

pub(crate) fn lower(program: &mut Program) {
    program.read = read_set(program);
    crate::script::read_whole_records(program);
    let constants: Vec<Option<Value>> = program.params.iter().map(|p| p.fixed().cloned()).collect();
    let tables = push_into_tables(program);
    let visit = |e: &mut Expr| {
        compare_rows(e, &tables);
        fold(e, &constants);
    };
    for l in &mut program.lets {
        visit(&mut l.value);
    }
    for f in &mut program.functions {
        visit(&mut f.body);
    }
    for n in &mut program.needs {
        visit(&mut n.when);
    }
    for d in &mut program.decisions {
        if let Some(f) = &mut d.for_each {
            visit(&mut f.list);
        }
        visit(&mut d.value);
    }
    if let Some((e, _)) = &mut program.as_at {
        visit(e);
    }
}

/// The decision tables among the lets, by let index, to compare row by row.
fn push_into_tables(program: &Program) -> Vec<Option<Table>> {
    program
        .lets
        .iter()
        .map(|l| match &l.value.node {
            Node::Table(t) if l.locals == 0 => Some((**t).clone()),
            _ => None,
        })
        .collect()
}

/// `x <= table` becomes the table with `x <= outcome` in each row: when unknown inputs leave
/// several rows possible, the comparison can still be settled (income under every limit that
/// could apply is under the limit), where comparing with an unknown limit could not.
fn compare_rows(e: &mut Expr, tables: &[Option<Table>]) {
    for child in e.node.children_mut() {
        compare_rows(child, tables);
    }
    let Node::Compare(op, a, b) = &e.node else {
        return;
    };
    let table_of = |x: &Expr| match x.node {
        Node::Let(i) => tables.get(i as usize).and_then(Option::as_ref),
        _ => None,
    };
    let (table, other, table_left) = match (table_of(a), table_of(b)) {
        (_, Some(t)) => (t, a, false),
        (Some(t), None) => (t, b, true),
        (None, None) => return,
    };
    let mut table = table.clone();
    for row in &mut table.rows {
        let outcome = std::mem::replace(
            &mut row.outcome,
            Expr {
                node: Node::Const(Value::unknown()),
                ty: Type::Error,
                loc: e.loc,
            },
        );
        let (l, r) = if table_left {
            (outcome, (**other).clone())
        } else {
            ((**other).clone(), outcome)
        };
        row.outcome = Expr {
            node: Node::Compare(*op, Box::new(l), Box::new(r)),
            ty: Type::Bool,
            loc: e.loc,
        };
    }
    e.node = Node::Table(Box::new(table));
}

fn fold(e: &mut Expr, constants: &[Option<Value>]) {
    for child in e.node.children_mut() {
        fold(child, constants);
    }
    match &mut e.node {
        Node::Param(i) => {
            if let Some(Some(v)) = constants.get(*i as usize) {
                e.node = Node::Const(v.clone());
            }
        }
        // A list written out of constants (`in [alcohol, drugs, both]`) is built once, here.
        Node::List(items) if items.iter().all(|x| matches!(x.node, Node::Const(_))) => {
            let values = items
                .iter()
                .filter_map(|x| match &x.node {
                    Node::Const(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
            e.node = Node::Const(Value::List(std::sync::Arc::new(
                crate::value::List::certain(values),
            )));
        }
        // `when <constant> then a else b`: keep only the branch that is taken.
        Node::When { arms, otherwise } => {
            while let Some((
                Expr {
                    node: Node::Const(Value::Bool(false)),
                    ..
                },
                _,
            )) = arms.first()
            {
                arms.remove(0);
            }
            if let Some((
                Expr {
                    node: Node::Const(Value::Bool(true)),
                    ..
                },
                _,
            )) = arms.first()
            {
                let (_, taken) = arms.remove(0);
                *e = taken;
            } else if arms.is_empty() {
                let taken = std::mem::replace(
                    otherwise.as_mut(),
                    Expr {
                        node: Node::Const(Value::unknown()),
                        ty: Type::Error,
                        loc: Loc::default(),
                    },
                );
                *e = taken;
            }
        }
        _ => {}
    }
}

/// Which fields of each record type the policy reads. Required fields count as read: a record
/// without them is rejected whether or not a rule looks. `id` counts too: explanations name
/// elements by it.
fn read_set(program: &mut Program) -> Vec<Vec<bool>> {
    let mut read: Vec<Vec<bool>> = program
        .records
        .iter()
        .map(|r| {
            r.fields
                .iter()
                .map(|f| f.required || &*f.name == "id")
                .collect()
        })
        .collect();
    let mut stack: Vec<&mut Expr> = Vec::new();
    stack.extend(program.lets.iter_mut().map(|l| &mut l.value));
    stack.extend(program.functions.iter_mut().map(|f| &mut f.body));
    stack.extend(program.needs.iter_mut().map(|n| &mut n.when));
    for d in &mut program.decisions {
        stack.push(&mut d.value);
        stack.extend(d.for_each.as_mut().map(|f| &mut f.list));
    }
    stack.extend(program.as_at.iter_mut().map(|(e, _)| e));
    while let Some(e) = stack.pop() {
        let field = match &e.node {
            Node::Field { base, index, .. } => match &base.ty {
                Type::Record(r) => Some((*r, *index)),
                _ => None,
            },
            Node::Project { base, index, .. } => match base.ty.element() {
                Some(Type::Record(r)) => Some((*r, *index)),
                _ => None,
            },
            _ => None,
        };
        if let Some(slot) = field.and_then(|(r, i)| read.get_mut(r as usize)?.get_mut(i as usize)) {
            *slot = true;
        }
        stack.extend(e.node.children_mut());
    }
    read
}
