"""``flask`` commands: the PSA simulator and maintenance tasks."""
from __future__ import annotations

import click
from flask import Flask


def init_cli(app: Flask) -> None:
    @app.cli.command("psa-sim")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8081, show_default=True, type=int)
    @click.option("--records", default=200, show_default=True, type=int,
                  help="How many seeded records of each kind (customers, agreements, products...).")
    @click.option("--size", "sizes", multiple=True, metavar="KIND=N",
                  help="A ConnectWise kind with another size than --records (companies, contacts, "
                       "agreements, catalog, members, invoices), e.g. --size catalog=50000.")
    @click.option("--wsdl-dir", default=None, type=click.Path(exists=True, file_okay=False),
                  help="Also serve every *.wsdl in this folder (e.g. ConnectWise's real WSDLs).")
    def psa_sim(host: str, port: int, records: int, sizes: tuple[str, ...],
                wsdl_dir: str | None) -> None:
        """Serve the ConnectWise + Autotask simulator on one port (demo, tests, benchmarks)."""
        from wisesync.simulator.server import SIZED_KINDS, serve

        parsed = {}
        for item in sizes:
            kind, _, number = item.partition("=")
            if kind not in SIZED_KINDS or not number.isdigit():
                raise click.BadParameter(f"{item!r}: use KIND=N with KIND one of "
                                         f"{', '.join(SIZED_KINDS)}", param_hint="--size")
            parsed[kind] = int(number)
        serve(host=host, port=port, records=records, wsdl_dir=wsdl_dir, sizes=parsed)
