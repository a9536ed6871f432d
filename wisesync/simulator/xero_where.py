"""A strict subset of Xero's ``where`` and ``order`` query parameters.

Understood: ``Field=="text"``, ``Field!="text"``, dotted fields (``Contact.ContactNumber=="C1"``),
``Guid("...")`` for id fields, ``true``/``false`` for boolean fields, ``AND``/``OR`` (also
``&&``/``||``; AND binds tighter) and parentheses. Anything else (``.Contains()``,
``DateTime()``, ``>=``, a single ``=``, ``null``, numbers) is refused with HTTP 400 and Xero's
``QueryParseException`` body rather than ignored, so a client never believes it filtered when
it did not. Xero itself accepts much more (its filter is Dynamic LINQ).

Messages seen from Xero (pyxero issues #217, #272; xeroizer #454): ``No property or field
'paymentsOnly' exists in type 'Journal'``, ``Operator '==' incompatible with operand types
'Boolean?' and 'String'``. The message for syntax this subset refuses is the simulator's own.
Field names are case-sensitive here (UNVERIFIED whether Xero's are).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

STRING, GUID, BOOL = "String", "Guid", "Boolean"
_CONTACT = {"ContactID": GUID, "ContactNumber": STRING, "AccountNumber": STRING,
            "ContactStatus": STRING, "Name": STRING, "FirstName": STRING, "LastName": STRING,
            "EmailAddress": STRING, "IsSupplier": BOOL, "IsCustomer": BOOL,
            "DefaultCurrency": STRING, "AccountsReceivableTaxType": STRING,
            "AccountsPayableTaxType": STRING}
_DOCUMENT = {"Reference": STRING, "Type": STRING, "Status": STRING, "CurrencyCode": STRING,
             "LineAmountTypes": STRING, "SentToContact": BOOL, "Contact": ("Contact", _CONTACT)}

# Per resource: (Xero's type name, {field: type or (type name, nested fields)}).
FIELDS = {
    "Contacts": ("Contact", _CONTACT),
    "Invoices": ("Invoice", {"InvoiceID": GUID, "InvoiceNumber": STRING, **_DOCUMENT}),
    "CreditNotes": ("CreditNote", {"CreditNoteID": GUID, "CreditNoteNumber": STRING, **_DOCUMENT}),
    "Items": ("Item", {"ItemID": GUID, "Code": STRING, "Name": STRING, "Description": STRING,
                       "IsSold": BOOL, "IsPurchased": BOOL, "IsTrackedAsInventory": BOOL}),
    "Accounts": ("Account", {"AccountID": GUID, "Code": STRING, "Name": STRING, "Type": STRING,
                             "Status": STRING, "TaxType": STRING, "Class": STRING,
                             "SystemAccount": STRING, "BankAccountType": STRING,
                             "EnablePaymentsToAccount": BOOL, "ShowInExpenseClaims": BOOL}),
    "TaxRates": ("TaxRate", {"Name": STRING, "TaxType": STRING, "Status": STRING,
                             "ReportTaxType": STRING, "CanApplyToRevenue": BOOL,
                             "CanApplyToExpenses": BOOL, "CanApplyToAssets": BOOL,
                             "CanApplyToLiabilities": BOOL, "CanApplyToEquity": BOOL}),
    "Payments": ("Payment", {"PaymentID": GUID, "Status": STRING, "PaymentType": STRING,
                             "Reference": STRING, "IsReconciled": BOOL,
                             "Invoice": ("Invoice", {"InvoiceID": GUID, "InvoiceNumber": STRING}),
                             "Account": ("Account", {"AccountID": GUID, "Code": STRING})}),
    "TrackingCategories": ("TrackingCategory", {"TrackingCategoryID": GUID, "Name": STRING,
                                                "Status": STRING}),
}
# Extra fields ``order`` may name (dates and amounts cannot be filtered on in this subset).
SORTABLE = {"Date", "DueDate", "UpdatedDateUTC", "Total", "SubTotal", "AmountDue", "AmountPaid",
            "Amount"}


class QueryError(ValueError):
    """Answered as HTTP 400 ``{"ErrorNumber": 16, "Type": "QueryParseException", ...}``."""


_TOKEN = re.compile(r"""\s*(?:(?P<string>"[^"]*")|(?P<guid>Guid\("[^"]*"\))|(?P<op>==|!=)
                    |(?P<logic>AND\b|OR\b|and\b|or\b|&&|\|\|)|(?P<paren>[()])
                    |(?P<bool>true\b|false\b)|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*))""",
                    re.VERBOSE)


@dataclass
class _Compare:
    path: tuple[str, ...]
    negate: bool
    value: object
    guid: bool


def parse(where: str, resource: str):
    """A predicate ``record -> bool`` for ``where`` on ``resource`` (e.g. "Invoices")."""
    tokens = _tokens(where)
    parser = _Parser(tokens, resource)
    tree = parser.expr()
    if parser.pos != len(tokens):
        raise QueryError(f"Unsupported where syntax near '{tokens[parser.pos][1]}'")
    return lambda record: _eval(tree, record)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"Unsupported where syntax near '{text[pos:pos + 20]}' (this "
                             "simulator understands ==, !=, AND, OR, parentheses, \"text\", "
                             "Guid(\"...\"), true and false)")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if not out:
        raise QueryError("The where clause is empty")
    return out


class _Parser:
    def __init__(self, tokens, resource: str):
        self.tokens, self.pos = tokens, 0
        self.type_name, self.fields = FIELDS[resource]

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def expr(self):
        left = self.conjunction()
        while self.peek()[0] == "logic" and self.peek()[1] in ("OR", "or", "||"):
            self.take()
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self):
        left = self.term()
        while self.peek()[0] == "logic" and self.peek()[1] in ("AND", "and", "&&"):
            self.take()
            left = ("and", left, self.term())
        return left

    def term(self):
        kind, text = self.take()
        if kind == "end":
            raise QueryError("Unexpected end of the where clause")
        if (kind, text) == ("paren", "("):
            inner = self.expr()
            if self.take() != ("paren", ")"):
                raise QueryError("Expected ')' in the where clause")
            return inner
        if kind != "name":
            raise QueryError(f"Unsupported where syntax near '{text}'")
        path, field_type = self.field(text)
        op_kind, op = self.take()
        if op_kind != "op":
            raise QueryError(f"Unsupported where syntax near '{op or text}' (only == and != "
                             "comparisons are understood)")
        value_kind, raw = self.take()
        value, value_type = _literal(value_kind, raw)
        if value_type != field_type:
            raise QueryError(f"Operator '{op}' incompatible with operand types '{field_type}' "
                             f"and '{value_type}'")
        return _Compare(path, op == "!=", value, field_type == GUID)

    def field(self, dotted: str) -> tuple[tuple[str, ...], str]:
        type_name, fields = self.type_name, self.fields
        parts = dotted.split(".")
        for i, part in enumerate(parts):
            if part not in fields:
                raise QueryError(f"No property or field '{part}' exists in type '{type_name}'")
            found = fields[part]
            if isinstance(found, tuple):
                if i == len(parts) - 1:
                    raise QueryError(f"Unsupported where syntax near '{dotted}' (compare one "
                                     f"of its fields, e.g. {dotted}.{next(iter(found[1]))})")
                type_name, fields = found
            elif i != len(parts) - 1:
                raise QueryError(f"No property or field '{parts[i + 1]}' exists in type '{found}'")
            else:
                return tuple(parts), found
        raise QueryError(f"Unsupported where syntax near '{dotted}'")


def _literal(kind: str, raw: str) -> tuple[object, str]:
    if kind == "string":
        return raw[1:-1], STRING
    if kind == "guid":
        return raw[6:-2].lower(), GUID
    if kind == "bool":
        return raw == "true", BOOL
    raise QueryError(f"Unsupported where syntax near '{raw}' (a value must be \"text\", "
                     "Guid(\"...\"), true or false)")


def _eval(node, record: dict) -> bool:
    if isinstance(node, _Compare):
        value = record
        for part in node.path:
            value = value.get(part) if isinstance(value, dict) else None
        if node.guid and isinstance(value, str):
            value = value.lower()
        return (value == node.value) != node.negate
    op, left, right = node
    if op == "and":
        return _eval(left, record) and _eval(right, record)
    return _eval(left, record) or _eval(right, record)


def order_key(order: str, resource: str):
    """(key function, reverse flags) for ``order`` such as ``Name ASC`` or
    ``UpdatedDateUTC DESC, Name``: a list of (field, descending)."""
    type_name, fields = FIELDS[resource]
    out = []
    for part in filter(None, (p.strip() for p in order.split(","))):
        words = part.split()
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryError(f"Unsupported order syntax near '{part}'")
        name = words[0]
        if name not in fields and name not in SORTABLE or isinstance(fields.get(name), tuple):
            raise QueryError(f"No property or field '{name}' exists in type '{type_name}'")
        out.append((name, len(words) == 2 and words[1].upper() == "DESC"))
    return out


def sort(records: list[dict], order: list[tuple[str, bool]]) -> list[dict]:
    for name, descending in reversed(order):
        present = [r for r in records if r.get(name) is not None]
        missing = [r for r in records if r.get(name) is None]
        present.sort(key=lambda r: r[name], reverse=descending)
        records = missing + present if not descending else present + missing
    return records
