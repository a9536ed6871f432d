"""ConnectWise's query language for the simulator, as strict as ConnectWise: ``conditions``,
``childConditions``, ``customFieldConditions``, field names and parameter names. The lists it
filters (pages, counts, ``orderBy``, ``fields``, the ``Link`` header) are :mod:`cw_list`.

The ``conditions`` language, as ConnectWise's developer guide and the clients quoting it give it
(connectpyse issue #13, infrascale's "expression rules" page, ConnectWise's own examples such as
``lastUpdated>[2016-08-20T18:04:26Z]``): comparisons ``= != <> < <= > >=``, ``like`` (``%``
and ``_`` wildcards), ``contains``, ``in (…)``, each negatable with ``not`` (``not like``,
``not in``…, and ``not (…)`` around a group); ``and`` binds tighter than ``or``; parentheses
group; values are numbers, strings in double quotes (single quotes accepted too), dates in
``[…]`` with or without a time, ``true``/``false`` and ``null`` in any letter case. Field names
ignore case, as ConnectWise's do; ``lastUpdated``/``dateEntered``/``updatedBy``/``enteredBy``
reach into ``_info``. Text compares without regard to case (SQL Server's default collation).

Refusals are ConnectWise's (HTTP 400): an unknown field, or a child collection named in
``conditions``, is ``{"code": "ApiFindCondition", "message": "<name> is not a recognized
name."}`` — the wording real tenants answer (LabtechConsulting/ConnectWise-Manage-Powershell
issue #4 "typeids is not a recognized name."; MCP servers quoting "board\\/name is not a
recognized name." and "Manage returns 400 ApiFindCondition" for ``types/name``). The wording of a
*syntax* error is UNVERIFIED (no public source shows one); it has the same code and says where
parsing stopped.

``childConditions`` filter on the elements of an array field (``types/name="Client"``: some
element matches), ``customFieldConditions`` on the record's ``customFields`` elements
(``caption="PO" and value="123"``: one custom field matches the whole expression). Query
parameter names ignore case (``PageSize``, ``Conditions``, connectpyse's ``childconditions``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
FIND_CONDITION = "ApiFindCondition"
PARAMETERS = ("conditions", "childConditions", "customFieldConditions", "orderBy", "fields",
              "page", "pageSize", "pageId", "columns")
_CANONICAL = {name.lower(): name for name in PARAMETERS}
_INFO_FIELDS = {"lastupdated": "lastUpdated", "dateentered": "dateEntered",
                "updatedby": "updatedBy", "enteredby": "enteredBy"}
# The fields of a ``customFields`` element (CustomFieldValue in the OpenAPI fixture).
CUSTOM_FIELD_FIELDS = {"id": "id", "caption": "caption", "type": "type", "entrymethod": "entryMethod",
                       "numberofdecimals": "numberOfDecimals", "value": "value",
                       "connectwiseid": "connectWiseId"}
_SAMPLE = 12  # records read to learn a collection's field names
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?\Z")


class ConditionError(ValueError):
    """A list request ConnectWise refuses with HTTP 400; ``code``/``message`` are its body's,
    ``parameter`` the query parameter at fault."""

    def __init__(self, message: str, parameter: str = "conditions", code: str = FIND_CONDITION):
        super().__init__(message)
        self.message, self.parameter, self.code = message, parameter, code


def not_recognized(name: str, parameter: str = "conditions") -> ConditionError:
    return ConditionError(f"{name} is not a recognized name.", parameter)


class Schema:
    """Field paths of a record type: lower-case path → (canonical path, kind), kind one of
    ``value``, ``object``, ``array``; ``children`` holds the fields of array elements."""

    def __init__(self):
        self.paths: dict[str, tuple[str, str]] = {}
        self.known = False

    def learn(self, record: dict, prefix: str = "", top: bool = True) -> None:
        self.known = True
        for key, value in record.items():
            if key == "_info" and not top:
                continue  # hrefs of references: not searchable
            path = f"{prefix}{key}"
            if key == "_info":
                for info_key in value or {}:
                    self.paths.setdefault(info_key.lower(), (f"_info/{info_key}", "value"))
                    self.paths.setdefault(f"_info/{info_key}".lower(), (f"_info/{info_key}", "value"))
                continue
            if isinstance(value, dict):
                self.paths[path.lower()] = (path, "object")
                self.learn(value, path + "/", top=False)
            elif isinstance(value, list):
                self.paths[path.lower()] = (path, "array")
                for element in value[:3]:
                    if isinstance(element, dict):
                        self.learn(element, path + "/", top=False)
            else:
                self.paths.setdefault(path.lower(), (path, "value"))

    def resolve(self, name: str, parameter: str = "conditions") -> tuple[str, str]:
        """(canonical path, kind) for a field name in any letter case; unknown → refused."""
        key = name.replace(".", "/").lower()
        if key in self.paths:
            return self.paths[key]
        if not self.known:  # an empty collection: nothing to check against
            return name.replace(".", "/"), "value"
        raise not_recognized(name, parameter)


def _array_prefix(schema: Schema, path: str) -> str | None:
    """The array a child path runs through (``types`` for ``types/name``), if any."""
    parts = path.split("/")
    for n in range(1, len(parts)):
        head = "/".join(parts[:n])
        if schema.paths.get(head.lower(), ("", ""))[1] == "array":
            return head
    return None


# -- the conditions language ---------------------------------------------------------------------
_TOKEN = re.compile(r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<date>\[[^\]]*\])
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][\w]*(?:[/.][A-Za-z_]\w*)*)
  )""", re.VERBOSE)
_WORD_OPS = {"like", "contains", "in"}


@dataclass
class _Token:
    kind: str
    text: str
    at: int


def _tokens(text: str, parameter: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise ConditionError(f"{parameter}: cannot parse at {text[pos:].strip()[:40]!r}", parameter)
        kind = match.lastgroup
        tokens.append(_Token(kind, match[kind], match.start(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent: ``or`` of ``and`` of ``not``/parenthesised/comparison."""

    def __init__(self, text: str, parameter: str, resolve):
        self.text, self.parameter, self.resolve = text, parameter, resolve
        self.tokens = _tokens(text, parameter)
        self.pos = 0

    def parse(self):
        if not self.tokens:
            return None
        node = self._or()
        if self.pos < len(self.tokens):
            self._fail("expected and/or")
        return node

    # -- helpers
    def _peek(self, offset: int = 0) -> _Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def _word(self, offset: int = 0) -> str:
        token = self._peek(offset)
        return token.text.lower() if token and token.kind == "word" else ""

    def _fail(self, what: str):
        token = self._peek()
        where = self.text[token.at:].strip()[:40] if token else "the end"
        raise ConditionError(f"{self.parameter}: {what} at {where!r}", self.parameter)

    def _take(self, kind: str, text: str | None = None) -> _Token:
        token = self._peek()
        if token is None or token.kind != kind or (text is not None and token.text.lower() != text):
            self._fail(f"expected {text or kind}")
        self.pos += 1
        return token

    # -- grammar
    def _or(self):
        parts = [self._and()]
        while self._word() == "or":
            self.pos += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda r, ps=parts: any(p(r) for p in ps))

    def _and(self):
        parts = [self._unary()]
        while self._word() == "and":
            self.pos += 1
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def _unary(self):
        token = self._peek()
        if token is None:
            self._fail("expected a condition")
        if token.kind == "word" and token.text.lower() == "not":
            self.pos += 1
            inner = self._unary()
            return lambda r: not inner(r)
        if token.kind == "punct" and token.text == "(":
            self.pos += 1
            inner = self._or()
            self._take("punct", ")")
            return inner
        return self._comparison()

    def _comparison(self):
        token = self._peek()
        if token.kind != "word" or token.text.lower() in ("and", "or", "not", *_WORD_OPS, "true",
                                                          "false", "null"):
            self._fail("expected a field name")
        self.pos += 1
        name = token.text
        negate = False
        if self._word() == "not":
            negate, self.pos = True, self.pos + 1
        op_token = self._peek()
        if op_token is None:
            self._fail("expected an operator")
        if op_token.kind == "op" and not negate:
            op = "!=" if op_token.text == "<>" else op_token.text
        elif op_token.kind == "word" and op_token.text.lower() in _WORD_OPS:
            op = op_token.text.lower()
        else:
            self._fail("expected an operator")
        self.pos += 1
        if op == "in":
            self._take("punct", "(")
            values = [self._value()]
            while self._peek() and self._peek().text == ",":
                self.pos += 1
                values.append(self._value())
            self._take("punct", ")")
            wanted = values
        else:
            wanted = self._value()
        getter, kind = self.resolve(name)
        if kind == "object" and not (op in ("=", "!=") and wanted is None):
            raise not_recognized(name, self.parameter)  # a reference: compare its id or name
        test = _compare(op, wanted, self.parameter)
        if negate:
            return lambda r: not test(getter(r))
        node = lambda r: test(getter(r))  # noqa: E731
        key = name.replace(".", "/").lower()
        if key == "id" and op in (">", ">=") and isinstance(wanted, int) and not isinstance(wanted, bool):
            node.id_floor = wanted + 1 if op == ">" else wanted
            node.only_id = True  # nothing but the floor: the matches can be counted, not read
        if key in ("lastupdated", "_info/lastupdated") and op in (">", ">=") and isinstance(wanted, datetime):
            node.updated_after = wanted if op == ">" else wanted - timedelta(microseconds=1)
        return node

    def _value(self):
        token = self._peek()
        if token is None:
            self._fail("expected a value")
        self.pos += 1
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])  # \" is a quote, \\ a backslash
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "date":
            try:
                return as_datetime(token.text[1:-1])
            except ValueError:
                raise ConditionError(f"{self.parameter}: {token.text} is not a date", self.parameter) from None
        if token.kind == "word" and token.text.lower() in ("true", "false"):
            return token.text.lower() == "true"
        if token.kind == "word" and token.text.lower() == "null":
            return None
        self.pos -= 1
        self._fail("expected a value (a number, a \"string\", a [date], true, false or null)")


def _all_of(parts: list):
    """All of ``parts``; keeps the strongest ``id_floor``/``updated_after`` any of them has
    (an ``and`` only narrows), for :meth:`Collection.iter_from`. ``or``/``not`` keep none."""
    def node(r):
        return all(p(r) for p in parts)
    for hint in ("id_floor", "updated_after"):
        values = [getattr(p, hint) for p in parts if getattr(p, hint, None) is not None]
        if values:
            setattr(node, hint, max(values))
    node.only_id = all(getattr(p, "only_id", False) for p in parts)
    return node


def as_datetime(text: str) -> datetime:
    """``2023-01-01`` or ``2023-01-01T10:00:00Z`` (no zone: UTC) → an aware datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _like(pattern: str) -> re.Pattern:
    body = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(body + r"\Z", re.IGNORECASE | re.DOTALL)


def _normal(value, wanted):
    """``value`` (from a record) and ``wanted`` (a literal) made comparable, or None."""
    if isinstance(wanted, datetime):
        if not isinstance(value, str) or not _DATE_TEXT.match(value):
            return None
        return as_datetime(value), wanted
    if isinstance(wanted, bool) or isinstance(value, bool):
        if isinstance(value, bool) and isinstance(wanted, bool):
            return value, wanted
        return None
    if isinstance(wanted, (int, float)) and isinstance(value, (int, float)):
        return value, wanted
    if isinstance(wanted, str) and isinstance(value, str):
        if _DATE_TEXT.match(value) and _DATE_TEXT.match(wanted):
            return as_datetime(value), as_datetime(wanted)
        return value.lower(), wanted.lower()
    if isinstance(wanted, str) and isinstance(value, (int, float)):
        try:
            return value, type(value)(wanted)
        except ValueError:
            return None
    if isinstance(wanted, (int, float)) and isinstance(value, str):
        try:
            return float(value), wanted
        except ValueError:
            return None
    return None


_ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
          ">=": lambda a, b: a >= b}


def _compare(op: str, wanted, parameter: str):
    """A test on one field value (a list for a child path: any element)."""
    if op in ("like", "contains") and not isinstance(wanted, str):
        raise ConditionError(f"{parameter}: {op} needs a quoted string", parameter)
    if op == "like":
        regex = _like(wanted)
        one = lambda v: v is not None and not isinstance(v, (dict, list)) and bool(regex.match(str(v)))  # noqa: E731
    elif op == "contains":
        needle = wanted.lower()
        one = lambda v: v is not None and not isinstance(v, (dict, list)) and needle in str(v).lower()  # noqa: E731
    elif op == "in":
        tests = [_compare("=", w, parameter) for w in wanted]
        one = lambda v: any(t(v) for t in tests)  # noqa: E731
    elif op in ("=", "!="):
        def equal(v):
            if wanted is None or v is None:
                return v is None and wanted is None
            pair = _normal(v, wanted)
            return pair is not None and pair[0] == pair[1]
        one = equal if op == "=" else (lambda v: not equal(v))
    else:
        order = _ORDER[op]

        def one(v):
            if v is None or wanted is None:
                return False
            pair = _normal(v, wanted)
            try:
                return pair is not None and order(*pair)
            except TypeError:
                return False
    return lambda value: any(one(v) for v in value) if isinstance(value, _Many) else one(value)


class _Many(list):
    """The values of a child path across an array's elements."""


def _lookup(record, path: str):
    value = record
    for part in path.split("/"):
        if isinstance(value, _Many):
            value = _Many(v.get(part) for v in value if isinstance(v, dict))
        elif isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list):
            value = _Many(v.get(part) for v in value if isinstance(v, dict))
        else:
            return None
    return value


def _field_getter(schema: Schema, parameter: str):
    def resolve(name: str):
        path, kind = schema.resolve(name, parameter)
        through = _array_prefix(schema, path)
        if parameter == "conditions" and (kind == "array" or through):
            raise not_recognized(name, parameter)  # child collections: childConditions only
        if parameter == "childConditions" and not through:
            raise not_recognized(name, parameter)
        return (lambda record: _lookup(record, path)), kind
    return resolve


def _custom_getter(name: str):
    canonical = CUSTOM_FIELD_FIELDS.get(name.lower())
    if canonical is None:
        raise not_recognized(name, "customFieldConditions")
    return (lambda element: element.get(canonical)), "value"


def normal_args(args) -> dict[str, str]:
    """Query parameters with ConnectWise's names whatever their letter case (``PageSize`` →
    ``pageSize``); other parameters as sent. The first value of a repeated one wins."""
    out: dict[str, str] = {}
    items = args.items(multi=True) if hasattr(args, "getlist") else args.items()
    for key, value in items:
        out.setdefault(_CANONICAL.get(key.lower(), key), value)
    return out


def predicate(coll, args: dict, schema: Schema | None = None):
    """One test for ``conditions``, ``childConditions`` and ``customFieldConditions`` (None
    when none is given). Raises :class:`ConditionError` for what ConnectWise refuses."""
    tests = []
    needs_schema = any((args.get(p) or "").strip() for p in ("conditions", "childConditions", "orderBy"))
    schema = schema or (coll.schema() if needs_schema else Schema())
    for parameter in ("conditions", "childConditions"):
        text = args.get(parameter)
        if text and text.strip():
            test = _Parser(text, parameter, _field_getter(schema, parameter)).parse()
            if test is not None:
                tests.append(test)
    text = args.get("customFieldConditions")
    if text and text.strip():
        element_test = _Parser(text, "customFieldConditions", _custom_getter).parse()
        if element_test is not None:
            tests.append(lambda r: any(element_test(e) for e in r.get("customFields") or []
                                       if isinstance(e, dict)))
    if not tests:
        return None
    return tests[0] if len(tests) == 1 else _all_of(tests)


def __getattr__(name: str):
    """``Collection``, ``count``, ``page`` and ``select_fields`` live in :mod:`cw_list` (the list
    semantics over this query language); reached here too, for older imports."""
    if name in ("Collection", "count", "page", "select_fields"):
        from wisesync.simulator import cw_list

        return getattr(cw_list, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
