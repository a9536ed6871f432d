"""Print one closing line for several pytest JUnit reports: 'tests: N passed, N failed, N skipped'.

Exits 1 when a report is missing or unreadable (a pass that never ran must not look green)."""
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        print(f"no test report {path}: {exc}")
        sys.exit(1)
    for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        total, fail = int(suite.get("tests", 0)), int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skip = int(suite.get("skipped", 0))
        passed += total - fail - skip
        failed += fail
        skipped += skip
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
