"""Integrations with the tools a team works in (task trackers), outside the ad-platform connectors."""
