"""Security's pages: the overview, the threat pages and the two-factor pages."""
