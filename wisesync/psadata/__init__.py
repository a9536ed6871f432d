"""What was pulled from the PSA (customers, agreements, products) and the pages that show it."""
