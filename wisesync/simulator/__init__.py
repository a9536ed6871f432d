"""The PSA simulator: ConnectWise (REST, SOAP) and Autotask (REST) on one port.

It is part of the product (tests, benchmarks and the demo use it) and, unlike
``wisesync.psa``, it is a Flask app of its own. Seeded data is deterministic and computed
per record from its index, so 50,000 catalog items cost no memory until asked for.
"""
