//! Needs and groups: each need's condition and level.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn check_needs(&mut self) {
        let group_of: HashMap<u32, u32> = self
            .program
            .groups
            .iter()
            .enumerate()
            .flat_map(|(g, grp)| grp.needs.iter().map(move |n| (*n, g as u32)))
            .collect();
        let syntax = self.need_syntax.clone();
        for (i, (file, n)) in syntax.iter().enumerate() {
            let i = i as u32;
            let outer = self.current.replace(Def::Need(i));
            let mut scope = expr::Scope::default();
            let when = self.expr(*file, &n.when, &mut scope, Some(&Type::Bool));
            if !when.ty.fits(&Type::Bool) {
                let msg = format!(
                    "the condition of `{}` must be yes or no, but it is {}",
                    n.id.name,
                    self.show(&when.ty)
                );
                self.error(
                    Loc {
                        file: *file,
                        span: n.when.span,
                    },
                    msg,
                );
            }
            self.current = outer;
            let level = self.need_levels.get(i as usize).copied().flatten();
            self.program.needs.push(Need {
                id: Arc::from(n.id.name.as_str()),
                label: n.label.value.clone(),
                source: n.source.as_ref().map(|s| s.value.clone()),
                level,
                group: group_of.get(&i).copied().unwrap_or(0),
                when,
                locals: scope.max_slots,
            });
        }
    }

    pub(super) fn need_level(&mut self, file: FileId, level: &ast::Ident) -> Option<u32> {
        let loc = Loc {
            file,
            span: level.span,
        };
        let found = self
            .program
            .scales
            .iter()
            .enumerate()
            .find_map(|(s, scale)| {
                scale
                    .values
                    .iter()
                    .position(|v| **v == *level.name)
                    .map(|l| (s as u32, l as u32))
            });
        let Some((scale, index)) = found else {
            let all: Vec<String> = self
                .program
                .scales
                .iter()
                .flat_map(|s| s.values.iter().map(|v| v.to_string()))
                .collect();
            let help = did_you_mean(&level.name, all.iter().map(String::as_str)).or_else(|| {
                self.program
                    .scales
                    .is_empty()
                    .then(|| "declare the levels with `scale level { … }`".to_string())
            });
            self.error(loc, format!("`{}` is not a level of any scale", level.name))
                .help = help;
            return None;
        };
        match self.program.need_scale {
            None => self.program.need_scale = Some(scale),
            Some(s) if s != scale => {
                self.error(loc, "indicators of one policy must use levels of one scale");
            }
            _ => {}
        }
        if let Some(name) = self
            .program
            .scales
            .get(scale as usize)
            .map(|s| s.name.clone())
        {
            if let Some((def, _)) = self.types.get(&name) {
                self.used_types.insert(*def);
            }
        }
        Some(index)
    }
}
