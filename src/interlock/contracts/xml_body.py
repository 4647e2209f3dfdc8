"""Comparing XML bodies under matching rules: elements, attributes (`@name`) and text (`#text`).

Children are grouped by element name, so order matters only among elements of one name.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from interlock.contracts.matchers import check_rules, has_collection_rule, show
from interlock.contracts.model import Mismatch, RuleList
from interlock.contracts.paths import RuleIndex, format_path

Path = tuple[str, ...]
Paths = tuple[Path, ...]
"""An element's place, written the ways rules may name it: `$.a.b` and, inside a
type-matched list of children, `$.a[0].b` too."""


class XmlSyntaxError(ValueError):
    """A body declared as XML that does not parse."""


def parse_xml(text: str | bytes) -> ET.Element:
    """Parse an XML document; raise `XmlSyntaxError` with the parser's words when it is not."""
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        raise XmlSyntaxError(f"not well-formed XML: {exc}") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _extend(paths: Paths, *fragments: str) -> Paths:
    return tuple((*p, *fragments) for p in paths)


def _text(element: ET.Element) -> str:
    parts = [element.text or ""]
    parts.extend(child.tail or "" for child in element)
    return "".join(parts).strip()


class XmlComparator:
    """Compares XML documents; `allow_unexpected_keys` lets responses carry extra attributes and children."""

    def __init__(self, rules: Mapping[str, RuleList], allow_unexpected_keys: bool) -> None:
        self.index: RuleIndex[RuleList] = RuleIndex(rules)
        self.allow_unexpected = allow_unexpected_keys

    def compare(self, expected: str | bytes, actual: str | bytes) -> list[Mismatch]:
        """Every mismatch between the two documents (a parse failure is one mismatch)."""
        out: list[Mismatch] = []
        try:
            want = parse_xml(expected)
        except XmlSyntaxError as exc:
            return [Mismatch("body", "$", "XML", "", f"the contract's XML body is {exc}")]
        try:
            got = parse_xml(actual)
        except XmlSyntaxError as exc:
            return [
                Mismatch(
                    "body", "$", "XML", show(str(actual)), f"expected an XML body, it is {exc}"
                )
            ]
        if want.tag != got.tag:
            out.append(self._tag_mismatch(((),), want, got))
            return out
        self._element(((_local(want.tag),),), want, got, out)
        return out

    def _rules(self, paths: Paths) -> RuleList | None:
        best: tuple[int, int] = (0, -1)
        found: RuleList | None = None
        for path in paths:
            score, rules = self.index.scored(path)
            if score > best:
                best, found = score, rules
        return found

    def _tag_mismatch(self, path: Paths, want: ET.Element, got: ET.Element) -> Mismatch:
        return Mismatch(
            "body",
            format_path(path[0] if path else ()),
            f"<{want.tag}>",
            f"<{got.tag}>",
            f"expected element <{want.tag}>, found <{got.tag}>",
        )

    def _element(self, path: Paths, want: ET.Element, got: ET.Element, out: list[Mismatch]) -> None:
        self._attributes(path, want, got, out)
        self._children(path, want, got, out)
        if len(want) == 0 or _text(want):
            self._value(_extend(path, "#text"), _text(want), _text(got), out)

    def _value(self, paths: Paths, want: str, got: str | None, out: list[Mismatch]) -> None:
        path = paths
        if got is None:
            out.append(
                Mismatch(
                    "body",
                    format_path(path[0]),
                    show(want),
                    "",
                    f"expected {show(want)}, but it is missing",
                )
            )
            return
        rules = self._rules(paths)
        if rules is not None and rules.matchers:
            problem = check_rules(rules, want, got)
            if problem is not None:
                out.append(
                    Mismatch(
                        "body",
                        format_path(path[0]),
                        problem,
                        show(got),
                        f"{problem}, found {show(got)}",
                    )
                )
        elif want != got:
            out.append(
                Mismatch(
                    "body",
                    format_path(path[0]),
                    show(want),
                    show(got),
                    f"expected {show(want)}, found {show(got)}",
                )
            )

    def _attributes(
        self, path: Paths, want: ET.Element, got: ET.Element, out: list[Mismatch]
    ) -> None:
        for name, value in want.attrib.items():
            self._value(_extend(path, "@" + _local(name)), value, got.attrib.get(name), out)
        if not self.allow_unexpected:
            extra = [n for n in got.attrib if n not in want.attrib]
            if extra:
                names = ", ".join(_local(n) for n in extra)
                out.append(
                    Mismatch(
                        "body",
                        format_path(path[0]),
                        "no other attributes",
                        names,
                        f"unexpected attribute(s) {names}",
                    )
                )

    def _children(
        self, path: Paths, want: ET.Element, got: ET.Element, out: list[Mismatch]
    ) -> None:
        expected_children, actual_children = list(want), list(got)
        rules = self._rules(path)
        if rules is not None and rules.matchers and expected_children:
            self._shaped_children(path, rules, expected_children[0], actual_children, out)
            return
        if not expected_children:
            if actual_children and not self.allow_unexpected:
                out.append(
                    Mismatch(
                        "body",
                        format_path(path[0]),
                        "no child elements",
                        str(len(actual_children)),
                        f"expected no child elements, found {len(actual_children)}",
                    )
                )
            return
        groups: dict[str, list[ET.Element]] = {}
        for child in actual_children:
            groups.setdefault(child.tag, []).append(child)
        wanted: dict[str, list[ET.Element]] = {}
        for child in expected_children:
            wanted.setdefault(child.tag, []).append(child)
        for tag, children in wanted.items():
            found = groups.get(tag, [])
            child_path = _extend(path, _local(tag))
            for index, child in enumerate(children):
                if index >= len(found):
                    out.append(
                        Mismatch(
                            "body",
                            format_path(child_path[0]),
                            f"<{_local(tag)}>",
                            "",
                            f"expected child element <{_local(tag)}> number {index + 1}, but it is missing",
                        )
                    )
                    continue
                self._element(child_path, child, found[index], out)
            if len(found) > len(children) and not self.allow_unexpected:
                out.append(
                    Mismatch(
                        "body",
                        format_path(child_path[0]),
                        f"{len(children)} element(s)",
                        str(len(found)),
                        f"expected {len(children)} <{_local(tag)}> element(s), found {len(found)}",
                    )
                )
        if not self.allow_unexpected:
            unexpected = sorted({_local(t) for t in groups if t not in wanted})
            if unexpected:
                out.append(
                    Mismatch(
                        "body",
                        format_path(path[0]),
                        "no other elements",
                        ", ".join(unexpected),
                        f"unexpected child element(s) {', '.join(unexpected)}",
                    )
                )

    def _shaped_children(
        self,
        path: Paths,
        rules: RuleList,
        template: ET.Element,
        actual: list[ET.Element],
        out: list[Mismatch],
    ) -> None:
        if has_collection_rule(rules):
            for rule in rules.matchers:
                low, high = rule.get("min"), rule.get("max")
                if isinstance(low, int) and len(actual) < low:
                    out.append(
                        Mismatch(
                            "body",
                            format_path(path[0]),
                            f"at least {low}",
                            str(len(actual)),
                            f"expected at least {low} child element(s), found {len(actual)}",
                        )
                    )
                if isinstance(high, int) and len(actual) > high:
                    out.append(
                        Mismatch(
                            "body",
                            format_path(path[0]),
                            f"at most {high}",
                            str(len(actual)),
                            f"expected at most {high} child element(s), found {len(actual)}",
                        )
                    )
        for index, child in enumerate(actual):
            name = _local(template.tag)
            child_path = (*_extend(path, str(index), name), *_extend(path, name))[:8]
            if child.tag != template.tag:
                out.append(self._tag_mismatch(child_path, template, child))
                continue
            self._element(child_path, template, child, out)
