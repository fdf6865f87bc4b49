-- Views of the embedded DuckDB event store that datasets read as tables.
-- The sessions dataset is a physical dataset on both targets: the Druid datasource
-- "sessions" (materialised, see stack/druid/sessions.sql) or this view. As a view the
-- session rows are always current, and Superset no longer parses and templates a
-- long virtual-dataset query on every chart request (about 150 ms of each). Only included events
-- count: {included_events} is replaced by the one predicate of superset_divolte.event_exclusion
-- (docs/metrics.md, "Included events").
CREATE OR REPLACE VIEW "main"."sessions" AS
  SELECT
    "sessionId",
    arg_min_null("partyId", "__time") AS "partyId",
    MIN("__time") AS "__time",
    MAX("__time") AS session_end,
    (epoch_ms(MAX("__time")) - epoch_ms(MIN("__time"))) / 1000.0 AS duration_s,
    CASE
      WHEN (epoch_ms(MAX("__time")) - epoch_ms(MIN("__time"))) / 1000.0 = 0 THEN '0 s'
      WHEN (epoch_ms(MAX("__time")) - epoch_ms(MIN("__time"))) / 1000.0 < 10 THEN '1-10 s'
      WHEN (epoch_ms(MAX("__time")) - epoch_ms(MIN("__time"))) / 1000.0 < 30 THEN '10-30 s'
      WHEN (epoch_ms(MAX("__time")) - epoch_ms(MIN("__time"))) / 1000.0 < 60 THEN '30-60 s'
      WHEN (epoch_ms(MAX("__time")) - epoch_ms(MIN("__time"))) / 1000.0 < 180 THEN '1-3 min'
      WHEN (epoch_ms(MAX("__time")) - epoch_ms(MIN("__time"))) / 1000.0 < 600 THEN '3-10 min'
      WHEN (epoch_ms(MAX("__time")) - epoch_ms(MIN("__time"))) / 1000.0 < 1800 THEN '10-30 min'
      ELSE '30+ min'
    END AS duration_bucket,
    COUNT(*) AS events,
    SUM(CASE WHEN "eventType" = 'pageView' THEN 1 ELSE 0 END) AS page_views,
    CASE WHEN SUM(CASE WHEN "eventType" = 'pageView' THEN 1 ELSE 0 END) = 1 THEN 1 ELSE 0 END AS bounced,
    MAX(CASE WHEN "eventType" = 'signupComplete' THEN 1 ELSE 0 END) AS converted,
    arg_min_null("locationPath", "__time") FILTER (WHERE "eventType" = 'pageView') AS landing_page,
    arg_max_null("locationPath", "__time") AS exit_page,
    arg_min_null("refererHost", "__time") AS "refererHost",
    COALESCE(arg_min_null("refererHost", "__time"), '(direct)') AS traffic_source,
    arg_min_null("utmSource", "__time") AS "utmSource",
    arg_min_null("utmMedium", "__time") AS "utmMedium",
    arg_min_null("utmCampaign", "__time") AS "utmCampaign",
    COALESCE(arg_min_null("utmCampaign", "__time"), '(none)') AS campaign,
    arg_min_null("userAgentDeviceCategory", "__time") AS "userAgentDeviceCategory",
    arg_min_null("userAgentName", "__time") AS "userAgentName",
    arg_min_null("userAgentOsFamily", "__time") AS "userAgentOsFamily"
  FROM "main"."clickstream"
  WHERE "sessionId" IS NOT NULL AND {included_events}
  GROUP BY "sessionId";