"""What was pulled from the PSA (customers, agreements, products, locations) and the pages that
show it. ``list_locations(account_id)`` is the one call other features need."""


def list_locations(account_id: int, include_inactive: bool = False) -> list[tuple[int, str]]:
    """``[(psa_id, name)]`` of the account's pulled ConnectWise locations (see services)."""
    from wisesync.psadata.services import list_locations as _list

    return _list(account_id, include_inactive)
