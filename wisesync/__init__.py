"""Wise-Sync: a self-hosted portal that connects an MSP's PSA to its accounting companies.

This module stays empty on purpose: ``import wisesync.psa`` must not pull in Flask.
The application factory lives in :mod:`wisesync.app`.
"""
