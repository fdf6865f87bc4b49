-- Exposed and converted units per experiment, variant, unit and hour of first exposure, for the experiments
-- datasource (superset_divolte.druid_experiments). A unit ('visitors': party ids, 'sessions': session ids)
-- is exposed when any of its events carries the experiment and variant, once, in the hour of its first such
-- event, and converted when one of those events is signupComplete. A nested group-by inside Druid (one
-- GROUP BY per unit, then one per hour): the Broker merges, it holds no per-unit rows. Only included events
-- count: {included_events} is replaced by the one predicate of superset_divolte.event_exclusion.
SELECT
  TIMESTAMP_TO_MILLIS(TIME_FLOOR("first_exposure", 'PT1H')) AS "hour_ms",
  "experiment",
  "variant",
  "unit",
  COUNT(*) AS "exposed",
  SUM("converted") AS "converted",
  TIMESTAMP_TO_MILLIS(MAX("last_event")) AS "last_event_ms"
FROM (
  SELECT
    "experiment",
    "variant",
    u."unit" AS "unit",
    MIN("__time") AS "first_exposure",
    MAX("__time") AS "last_event",
    MAX(CASE WHEN "eventType" = 'signupComplete' THEN 1 ELSE 0 END) AS "converted"
  FROM "clickstream"
  CROSS JOIN UNNEST(ARRAY['visitors', 'sessions']) AS u ("unit")
  WHERE "experiment" IS NOT NULL AND "sessionId" IS NOT NULL AND "partyId" IS NOT NULL AND {included_events}
  GROUP BY "experiment", "variant", u."unit", CASE WHEN u."unit" = 'visitors' THEN "partyId" ELSE "sessionId" END
) AS "units"
GROUP BY 1, 2, 3, 4
