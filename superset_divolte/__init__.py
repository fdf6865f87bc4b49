"""superset-divolte: real-time clickstream analytics for Apache Superset."""
