"""Strict YAML for the manifest and front matter.

A safe loader that also refuses duplicate keys and aliases (a copy-paste
hazard in hand-written front matter), and keeps dates as the ISO strings
the author typed instead of turning them into ``datetime`` values.
"""

from __future__ import annotations

import re

import yaml

#: What only finds lines (`key_lines` and the rest) composes with: libyaml's parser, in C,
#: where PyYAML has it (~10× faster than the pure-Python one); `load` keeps the strict
#: pure-Python loader, which decides what is accepted.
COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(Exception):
    """A YAML mistake, with the 1-based line inside the parsed text."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (YamlProblem, yaml.YAMLError, RecursionError):
            raise
        except Exception:  # a constructor given a value it cannot hold, e.g. '!!timestamp 明天'
            tag = node.tag.rsplit(":", 1)[-1]
            raise YamlProblem(f"value {node.value!r} cannot be read as {tag}", node.start_mark.line + 1) from None

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlProblem(
                f"YAML aliases are not allowed (*{event.anchor}); write the value out",
                event.start_mark.line + 1,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):  # '!!set 0': a tag that needs a mapping, on a scalar
            tag = node.tag.rsplit(":", 1)[-1]
            raise YamlProblem(f"value {node.value!r} cannot be read as {tag}", node.start_mark.line + 1)
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, (list, dict, set)):
                raise YamlProblem("a key must be plain text, not a list or mapping", line)
            if key in seen:
                raise YamlProblem(f"duplicate key '{key}' (first given on line {seen[key]})", line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


# Dates stay strings: drop the timestamp resolver from this loader only.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


#: Characters YAML counts as line breaks but editors and our line numbers do not.
_EXTRA_BREAKS = str.maketrans({"\u2028": " ", "\u2029": " ", "\x85": " "})


def load(text: str, offset: int = 0):
    """Parse ``text``; raise `YamlProblem` with a line for any mistake.

    ``offset`` is added to every line, messages included, so a caller whose
    YAML starts on line N of a file passes N - 1 and gets file lines."""
    try:
        return _load(text.translate(_EXTRA_BREAKS))
    except YamlProblem as exc:
        raise YamlProblem(_shift(exc.message, offset), None if exc.line is None else exc.line + offset) from None


def _shift(message: str, offset: int) -> str:
    return re.sub(
        r"\(first given on line (\d+)\)", lambda m: f"(first given on line {int(m.group(1)) + offset})", message
    )


def _load(text: str):
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except YamlProblem:
        raise
    except RecursionError:
        raise YamlProblem("YAML nested too deeply", None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlProblem(f"invalid YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}", None) from None


def key_lines(text: str) -> dict[str, int]:
    """Top-level key → 1-based line, to point diagnostics at the right line."""
    lines: dict[str, int] = {}
    for key_node, _ in _top_mapping(text):
        lines.setdefault(str(key_node.value), key_node.start_mark.line + 1)
    return lines


def subkey_lines(text: str) -> dict[str, int]:
    """``key.subkey`` → 1-based line, for the keys of each mapping under a top-level key."""
    lines: dict[str, int] = {}
    for key_node, value in _top_mapping(text):
        if isinstance(value, yaml.MappingNode):
            for sub, _ in value.value:
                lines.setdefault(f"{key_node.value}.{sub.value}", sub.start_mark.line + 1)
    return lines


def _top_mapping(text: str) -> list:
    """(key node, value node) pairs of the top-level mapping; [] when there is none."""
    try:
        node = yaml.compose(text.translate(_EXTRA_BREAKS), Loader=COMPOSER)
    except (yaml.YAMLError, RecursionError):
        return []
    return node.value if isinstance(node, yaml.MappingNode) else []


def nested_item_lines(text: str, key: str) -> dict[str, int]:
    """Scalar item → 1-based line, for every item of the list under ``key`` and of the
    lists under ``key`` inside its mapping items (``- part: …`` with its own ``sections:``)."""
    try:
        node = yaml.compose(text.translate(_EXTRA_BREAKS), Loader=COMPOSER)
    except (yaml.YAMLError, RecursionError):
        return {}
    lines: dict[str, int] = {}

    def walk(mapping) -> None:
        for key_node, value in mapping.value if isinstance(mapping, yaml.MappingNode) else ():
            if key_node.value == key and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    if isinstance(item, yaml.ScalarNode):
                        lines.setdefault(item.value.replace("\\", "/"), item.start_mark.line + 1)
                    walk(item)

    walk(node)
    return lines


def raw_scalars(text: str) -> dict[str, str]:
    """Top-level key → the scalar exactly as written, so 'title: 3.10' stays '3.10'."""
    try:
        node = yaml.compose(text.translate(_EXTRA_BREAKS), Loader=COMPOSER)
    except (yaml.YAMLError, RecursionError):
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): v.value for k, v in node.value if isinstance(v, yaml.ScalarNode)}
