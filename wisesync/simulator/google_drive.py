"""The simulated Google Drive v3 (``/google/drive/v3``; the real one is
``https://www.googleapis.com/drive/v3``) and its test controls (``/_sim/google``).

- ``GET /files`` (Bearer, a Drive read scope): ``q`` in the subset Wise-Sync sends — terms
  ``name contains|=|!= '…'``, ``mimeType =|!=|contains '…'``, ``trashed = true|false``,
  ``modifiedTime >|>=|<|<=|= '<RFC 3339>'``, joined by ``and``/``or``, with parentheses and
  ``not``; anything else is Drive's 400 "Invalid Value" on ``q``. ``name contains`` is a
  *prefix* match per word, as Drive's search guide says ("HelloWorld": 'Hello' matches, 'World'
  does not). Without ``trashed = false`` binned files are listed too, as Drive does.
  ``orderBy`` ``modifiedTime [desc]`` / ``name [desc]``, ``pageSize`` 1-1000 (default 100),
  ``pageToken``; answers ``{"kind": "drive#fileList", "files": [...], "nextPageToken"?}``.
- ``GET /files/<id>``: the file's metadata; with ``alt=media`` its bytes — a Google Docs file
  (``application/vnd.google-apps.*``) is 403 ``fileNotDownloadable``, as on Drive.
- ``GET /_sim/google``: ``{"revocations": [{"email", "token_type", "at"}], "grants": [{"email",
  "revoked", "scope"}]}``; ``POST /_sim/google/reset``; ``POST /_sim/google/files``
  ``{"email", "name", "mimeType", "content_b64" | "size"}`` adds a file to that person's Drive
  (``size`` fills it with that many bytes after a PDF header), answers its resource.
"""
from __future__ import annotations

import base64
import re
import secrets
from datetime import datetime, timezone

from flask import Flask, Response, jsonify, request

from wisesync.simulator.google_identity import bearer_grant
from wisesync.simulator.google_state import DEMO_EMAIL, DRIVE_READ, SimFile, attach

BASE = "/google/drive/v3"
_TOKEN = re.compile(r"\s*(?:(\()|(\))|'((?:[^'\\]|\\.)*)'|(contains|!=|>=|<=|=|>|<)|([A-Za-z]+))")
_FIELDS = {"name": ("contains", "=", "!="), "mimeType": ("contains", "=", "!="), "trashed": ("=", "!="),
           "modifiedTime": (">", ">=", "<", "<=", "=")}
_ORDER = {"modifiedTime": lambda f: f.modified, "name": lambda f: f.name.lower()}


class QueryError(ValueError):
    pass


def register(app: Flask, state) -> None:
    google = attach(state)
    app.add_url_rule(f"{BASE}/files", "google_drive_files", lambda: _list(state, google))
    app.add_url_rule(f"{BASE}/files/<file_id>", "google_drive_file", lambda file_id: _one(state, google, file_id))
    app.add_url_rule("/_sim/google", "google_sim_state", lambda: jsonify(
        {"revocations": google.revocations,
         "grants": [{"email": g.email, "revoked": g.revoked, "scope": g.scope} for g in google.grants.values()]}))
    app.add_url_rule("/_sim/google/reset", "google_sim_reset", lambda: (google.reset(), jsonify({"ok": True}))[1],
                     methods=["POST"])
    app.add_url_rule("/_sim/google/files", "google_sim_add_file", lambda: _add(google), methods=["POST"])


def _error(status: int, reason: str, message: str, location: str = "") -> Response:
    error = {"domain": "global", "reason": reason, "message": message}
    if location:
        error.update(locationType="parameter", location=location)
    response = jsonify({"error": {"code": status, "message": message, "errors": [error]}})
    response.status_code = status
    return response


def _reader(state, google):
    grant, refused = bearer_grant(state, google)
    if refused is not None:
        return None, refused
    if not DRIVE_READ & set(grant.scope.split()):
        return None, _error(403, "insufficientPermissions",
                            "Request had insufficient authentication scopes.")
    return grant, None


def _list(state, google):
    grant, refused = _reader(state, google)
    if refused is not None:
        return refused
    try:
        match = parse_query(request.args.get("q", ""))
    except QueryError:
        return _error(400, "invalid", "Invalid Value", "q")
    files = [f for f in google.drive(grant.email) if match(f)]
    order = (request.args.get("orderBy") or "").split()
    if order:
        if order[0] not in _ORDER or len(order) > 2 or (len(order) == 2 and order[1] != "desc"):
            return _error(400, "invalidParameter", "Invalid field selection " + order[0], "orderBy")
        files.sort(key=_ORDER[order[0]], reverse=len(order) == 2)
    size = request.args.get("pageSize", "100")
    if not size.isdigit() or not 1 <= int(size) <= 1000:
        return _error(400, "invalid", f"Invalid value '{size}'. Values must be within the range: [1, 1000]",
                      "pageSize")
    start = int(request.args.get("pageToken") or 0) if (request.args.get("pageToken") or "0").isdigit() else -1
    if start < 0:
        return _error(400, "invalid", "Invalid Value", "pageToken")
    chunk = files[start:start + int(size)]
    body = {"kind": "drive#fileList", "incompleteSearch": False, "files": [f.resource() for f in chunk]}
    if start + int(size) < len(files):
        body["nextPageToken"] = str(start + int(size))
    return jsonify(body)


def _one(state, google, file_id: str):
    grant, refused = _reader(state, google)
    if refused is not None:
        return refused
    found = next((f for f in google.drive(grant.email) if f.id == file_id), None)
    if found is None:
        return _error(404, "notFound", f"File not found: {file_id}.", "fileId")
    if request.args.get("alt") != "media":
        return jsonify(found.resource())
    if found.mime_type.startswith("application/vnd.google-apps."):
        return _error(403, "fileNotDownloadable",
                      "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
                      "alt")
    return Response(found.content, content_type=found.mime_type)


def _add(google):
    body = request.get_json(force=True, silent=True) or {}
    content = base64.b64decode(body["content_b64"]) if body.get("content_b64") else (
        b"%PDF-1.4\n" + b"0" * max(0, int(body.get("size", 0)) - 9))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    added = SimFile("1Sim" + secrets.token_hex(8), str(body.get("name") or "file.pdf"),
                    str(body.get("mimeType") or "application/pdf"), content, stamp)
    google.drive(str(body.get("email") or DEMO_EMAIL)).append(added)
    return jsonify(added.resource())


# -- q ----------------------------------------------------------------------------------------

def _tokens(text: str) -> list[tuple[str, str]]:
    out, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        m = _TOKEN.match(text, at)
        if not m:
            raise QueryError(text[at:])
        at = m.end()
        opening, closing, literal, op, word = m.groups()
        if opening or closing:
            out.append(("paren", opening or closing))
        elif literal is not None:
            out.append(("str", re.sub(r"\\(.)", r"\1", literal)))
        elif op:
            out.append(("op", op))
        else:
            out.append(("word", word))
    return out


def parse_query(text: str):
    """A predicate over :class:`SimFile` for a Drive ``q`` (the subset in the module doc)."""
    tokens = _tokens(text)
    if not tokens:
        return lambda f: True
    at = [0]

    def peek():
        return tokens[at[0]] if at[0] < len(tokens) else (None, None)

    def take():
        token = peek()
        at[0] += 1
        return token

    def expr(): # or-chain of and-chains
        left = conj()
        while peek() == ("word", "or"):
            take()
            right = conj()
            left = (lambda a, b: lambda f: a(f) or b(f))(left, right)
        return left

    def conj():
        left = unary()
        while peek() == ("word", "and"):
            take()
            right = unary()
            left = (lambda a, b: lambda f: a(f) and b(f))(left, right)
        return left

    def unary():
        if peek() == ("word", "not"):
            take()
            inner = unary()
            return lambda f: not inner(f)
        if peek() == ("paren", "("):
            take()
            inner = expr()
            if take() != ("paren", ")"):
                raise QueryError("unbalanced")
            return inner
        return term()

    def term():
        kind, name = take()
        op_kind, op = take()
        value_kind, value = take()
        if kind != "word" or name not in _FIELDS or op_kind != "op" or op not in _FIELDS[name]:
            raise QueryError(name)
        if name == "trashed":
            if value_kind != "word" or value not in ("true", "false"):
                raise QueryError(value)
            want = value == "true"
            return (lambda f: f.trashed == want) if op == "=" else (lambda f: f.trashed != want)
        if value_kind != "str":
            raise QueryError(value)
        if name == "modifiedTime":
            bound = _when(value)
            compare = {">": lambda a: a > bound, ">=": lambda a: a >= bound, "<": lambda a: a < bound,
                       "<=": lambda a: a <= bound, "=": lambda a: a == bound}[op]
            return lambda f: compare(_when(f.modified))
        attr = "name" if name == "name" else "mime_type"
        if op == "=":
            return lambda f: getattr(f, attr) == value
        if op == "!=":
            return lambda f: getattr(f, attr) != value
        if name == "name":
            needle = value.lower()
            return lambda f: any(w.startswith(needle) for w in [f.name.lower(), *re.split(r"[^0-9a-z]+", f.name.lower())])
        return lambda f: value in f.mime_type

    predicate = expr()
    if at[0] != len(tokens):
        raise QueryError("trailing")
    return predicate


def _when(value: str) -> datetime:
    """RFC 3339; without a zone it is UTC (Drive's search guide)."""
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment
