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
