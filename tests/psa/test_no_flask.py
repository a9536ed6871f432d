"""``wisesync.psa`` is plain Python: importing the clients must not load Flask."""
import subprocess
import sys


def test_psa_clients_import_without_flask():
    code = ("import sys, wisesync.psa.connectwise_rest, wisesync.psa.http, wisesync.psa.errors, "
            "wisesync.psa.report, wisesync.psa.connectwise_common; "
            "print('flask' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_accounting_clients_import_without_flask():
    """``wisesync.accounting`` is ``wisesync.psa``'s twin: plain Python too (Authlib, no Flask)."""
    code = ("import sys, wisesync.accounting.xero, wisesync.accounting.xero_http, "
            "wisesync.accounting.errors; "
            "print('flask' in sys.modules, 'wisesync.extensions' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"
