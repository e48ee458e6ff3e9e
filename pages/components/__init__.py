"""Small reusable pieces of the pages: filters, sync status, formatting."""
