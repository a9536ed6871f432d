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
    @click.option("--wsdl-dir", default=None, type=click.Path(exists=True, file_okay=False),
                  help="Also serve every *.wsdl in this folder (e.g. ConnectWise's real WSDLs).")
    def psa_sim(host: str, port: int, records: int, wsdl_dir: str | None) -> None:
        """Serve the ConnectWise + Autotask simulator on one port (demo, tests, benchmarks)."""
        from wisesync.simulator.server import serve

        serve(host=host, port=port, records=records, wsdl_dir=wsdl_dir)
