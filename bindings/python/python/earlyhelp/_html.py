"""A decision's explanation as an HTML tree, for notebooks (``Decision._repr_html_``).

Every piece of text — labels, record values, ids, policy names — is escaped: records come from
case systems and may hold anything.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any, Dict, List, Optional

if TYPE_CHECKING:  # pragma: no cover
    from ._earlyhelp import Decision

_STYLE = (
    "<style>"
    ".earlyhelp-decision{font-family:system-ui,sans-serif;font-size:13px;line-height:1.45}"
    ".earlyhelp-decision summary{cursor:pointer}"
    ".earlyhelp-decision ul{list-style:none;margin:2px 0 2px 0;padding-left:1.4em}"
    ".earlyhelp-decision .yes{color:#1a7f37}.earlyhelp-decision .no{color:#cf222e}"
    ".earlyhelp-decision .open{color:#9a6700}.earlyhelp-decision .note{color:#57606a}"
    ".earlyhelp-decision table{border-collapse:collapse;margin:4px 0}"
    ".earlyhelp-decision td,.earlyhelp-decision th{padding:2px 8px;text-align:left;"
    "border-bottom:1px solid #d0d7de}"
    "</style>"
)


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _mark(holds: Optional[bool]) -> str:
    if holds is True:
        return '<span class="yes">✓</span>'
    if holds is False:
        return '<span class="no">✗</span>'
    return '<span class="open">?</span>'


def _value(value: Any) -> str:
    """A decision's value as the English explanation words it: never a blank."""
    if value is True:
        return '<span class="yes">yes</span>'
    if value is False:
        return '<span class="no">no</span>'
    if value is None:
        return '<span class="open">undetermined</span>'
    if isinstance(value, list):
        return _e(", ".join(str(v) for v in value)) if value else "none"
    if isinstance(value, dict):  # a decision for each member: {"C1": …}
        parts = [f"{_e(k)}: {_value(v)}" for k, v in value.items()]
        return "; ".join(parts) if parts else "none"
    return _e(value)


def _missing(items: List[str]) -> str:
    if not items:
        return ""
    return f' <span class="note">(missing: {_e(", ".join(items))})</span>'


def _reasons(reasons: List[Dict[str, Any]]) -> str:
    if not reasons:
        return ""
    out = ["<ul>"]
    for r in reasons:
        values = f' <span class="note">— {_e(r["values"])}</span>' if r.get("values") else ""
        line = f'{_mark(r.get("holds"))} <code>{_e(r.get("text", ""))}</code>{values}{_missing(r.get("missing", []))}'
        nested = _reasons(r.get("because", []))
        if nested:
            out.append(f"<li><details><summary>{line}</summary>{nested}</details></li>")
        else:
            out.append(f"<li>{line}</li>")
    out.append("</ul>")
    return "".join(out)


def explanation_html(explanation: Dict[str, Any], title: str = "") -> str:
    """The explanation (``Decision.explanation``) as a tree of HTML ``<details>``."""
    out = [_STYLE, '<div class="earlyhelp-decision">']
    if title:
        out.append(f"<div><b>{title}</b></div>")
    out.append("<table><tr><th>decision</th><th>value</th></tr>")
    for d in explanation.get("decisions", []):
        label = d.get("label") or d.get("decision", "")
        out.append(f"<tr><td>{_e(label)}</td><td>{_value(d.get('value'))}</td></tr>")
    out.append("</table>")
    # What would settle an undetermined decision, in the words of the text explanation.
    for d in explanation.get("decisions", []):
        if d.get("missing"):
            out.append(f'<div class="note">{_e(d.get("summary", ""))}</div>')
    for d in explanation.get("decisions", []):
        label = d.get("label") or d.get("decision", "")
        because = _reasons(d.get("because", []))
        if because:
            out.append(f"<details><summary>Why <b>{_e(label)}</b>: {_value(d.get('value'))}</summary>{because}</details>")
    groups = explanation.get("groups", [])
    if groups:
        met = sum(1 for g in groups if g.get("met") is True)
        open_ = sum(1 for g in groups if g.get("met") is None)
        more = f", {open_} undetermined" if open_ else ""
        out.append(f"<details open><summary>{met} of {len(groups)} groups met{more}</summary><ul>")
        for g in groups:
            state = {True: "met", False: "not met", None: "undetermined"}[g.get("met")]
            source = f' <span class="note">— {_e(g["source"])}</span>' if g.get("source") else ""
            out.append(
                f'<li><details{" open" if g.get("met") is not False else ""}><summary>{_mark(g.get("met"))} '
                f'{_e(g.get("label", ""))} <span class="note">({_e(g.get("group", ""))}: {state})</span>{source}</summary><ul>'
            )
            for n in g.get("needs", []):
                level = f" [{_e(n['level'])}]" if n.get("level") else ""
                about = f' <span class="note">— about {_e(", ".join(n["about"]))}</span>' if n.get("about") else ""
                same = n.get("source") == g.get("source")
                source = f'<div class="note">source: {_e(n["source"])}</div>' if n.get("source") and not same else ""
                out.append(
                    f'<li><details><summary>{_mark(n.get("met"))} {_e(n.get("label", ""))}{level}{about} '
                    f'<span class="note">({_e(n.get("need", ""))})</span>{_missing(n.get("missing", []))}</summary>'
                    f'{source}{_reasons(n.get("because", []))}</details></li>'
                )
            out.append("</ul></details></li>")
        out.append("</ul></details>")
    out.append("</div>")
    return "".join(out)


def decision_html(decision: "Decision") -> str:
    """``Decision._repr_html_``: a heading (record id, policy, date) and the explanation tree."""
    policy = decision.policy or {}
    name = _e(policy.get("name", ""))
    version = f" {_e(policy['version'])}" if policy.get("version") else ""
    who = f"Family {_e(decision.id)}" if decision.id is not None else "Record"
    title = f"{who} · {name}{version} · as at {_e(decision.as_at.isoformat())}"
    return explanation_html(decision.explanation, title)
