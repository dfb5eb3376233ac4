//! Aggregates: `count of`, `sum of`, `min of`, `max of`, with a binder, a filter and a body.

use super::*;

impl Checker<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn aggregate(
        &mut self,
        file: FileId,
        agg: Agg,
        binder: Option<&ast::Ident>,
        list: &ast::Expr,
        filter: Option<&ast::Expr>,
        body: Option<&ast::Expr>,
        scope: &mut Scope,
        loc: Loc,
    ) -> Expr {
        let l = self.expr(file, list, scope, None);
        let elem = self.element_of(&l).unwrap_or(Type::Error);
        let slot = scope.bind(binder.map_or("it", |b| b.name.as_str()), elem.clone());
        let f = filter.map(|f| {
            Box::new(self.expect(
                file,
                f,
                scope,
                &Type::Bool,
                "the condition after `where` must be yes or no",
            ))
        });
        let b = body.map(|b| Box::new(self.expr(file, b, scope, None)));
        scope.unbind();
        let item_ty = b.as_ref().map_or(elem, |b| b.ty.clone());
        let ty = match agg {
            Agg::Count => {
                if let Some(b) = &b {
                    self.must_fit(
                        b,
                        &Type::Bool,
                        "`count of x in xs: condition` counts where the condition holds",
                    );
                }
                Type::Number
            }
            Agg::Sum => {
                if !item_ty.is_numeric() {
                    let msg = format!("`sum of` adds numbers, not {}", self.show(&item_ty));
                    self.error(loc, msg);
                }
                item_ty
            }
            Agg::Min | Agg::Max => {
                if !item_ty.is_ordered() {
                    let msg = format!(
                        "`min of` and `max of` need numbers, dates or levels, not {}",
                        self.show(&item_ty)
                    );
                    self.error(loc, msg);
                }
                item_ty
            }
        };
        mk(
            Node::Aggregate {
                agg,
                list: Box::new(l),
                slot,
                filter: f,
                body: b,
            },
            ty,
            loc,
        )
    }
}
