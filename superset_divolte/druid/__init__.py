"""Druid: the REST and SQL client (``client``) and the datasources materialised from the clickstream inside
Druid (``sessions``, ``funnel``, ``experiments``; ``batch`` replaces days of them, ``materialise`` runs them)."""
