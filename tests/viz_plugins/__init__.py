"""Tests of the custom Superset chart plugins (issue 6)."""
