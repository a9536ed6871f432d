"""Print the status each persona gets on every route (to review and paste into the matrix).

    .venv/bin/python -m pytest -q -p no:cacheprovider tests/security/discover.py -s
"""
from __future__ import annotations

from tests.security.world import PERSONAS, build_world, client_for, routes, url_for_rule


def test_print_statuses(app):
    world = build_world()
    lines = []
    for rule, method in routes(app):
        cells = []
        for persona in PERSONAS:
            client = client_for(app, world, persona)
            url = url_for_rule(rule, world)
            r = client.open(url, method=method, data={})
            cells.append(f'"{persona}": {r.status_code}')
        lines.append(f'    ("{rule.endpoint}", "{method}"): {{{", ".join(cells)}}},')
    print("\n" + "\n".join(lines))
