-- One row per session, for the sessions datasource (superset_divolte.druid_sessions).
-- The sessions that started in [?, ?) (epoch ms), by the start Divolte encodes in the session id
-- ("0:<epoch ms in base36>:<random>", made at the session's first event). Their events are all at or
-- after that start, so the scan begins there (the third parameter, the same start) and needs no end:
-- a session is whole however long it lasted. Only included events count: {included_events} is replaced by
-- the one predicate of superset_divolte.event_exclusion (docs/metrics.md, "Included events").
SELECT
  "sessionId",
  PARSE_LONG(REGEXP_EXTRACT("sessionId", '^0:([0-9a-z]+):', 1), 36) AS "session_start_ms",
  TIMESTAMP_TO_MILLIS(MIN("__time")) AS "first_event_ms",
  TIMESTAMP_TO_MILLIS(MAX("__time")) AS "session_end_ms",
  EARLIEST_BY("partyId", "__time", 128) FILTER (WHERE "firstInSession" = 'true') AS "partyId",
  (TIMESTAMP_TO_MILLIS(MAX("__time")) - TIMESTAMP_TO_MILLIS(MIN("__time"))) / 1000.0 AS "duration_s",
  COUNT(*) AS "events",
  SUM(CASE WHEN "eventType" = 'pageView' THEN 1 ELSE 0 END) AS "page_views",
  MAX(CASE WHEN "eventType" = 'signupComplete' THEN 1 ELSE 0 END) AS "converted",
  EARLIEST_BY("locationPath", "__time", 512) FILTER (WHERE "eventType" = 'pageView') AS "landing_page",
  LATEST_BY("locationPath", "__time", 512) AS "exit_page",
  EARLIEST_BY("refererHost", "__time", 128) FILTER (WHERE "firstInSession" = 'true') AS "refererHost",
  EARLIEST_BY("utmSource", "__time", 128) FILTER (WHERE "firstInSession" = 'true') AS "utmSource",
  EARLIEST_BY("utmMedium", "__time", 128) FILTER (WHERE "firstInSession" = 'true') AS "utmMedium",
  EARLIEST_BY("utmCampaign", "__time", 128) FILTER (WHERE "firstInSession" = 'true') AS "utmCampaign",
  EARLIEST_BY("userAgentDeviceCategory", "__time", 128) FILTER (WHERE "firstInSession" = 'true') AS "userAgentDeviceCategory",
  EARLIEST_BY("userAgentName", "__time", 128) FILTER (WHERE "firstInSession" = 'true') AS "userAgentName",
  EARLIEST_BY("userAgentOsFamily", "__time", 128) FILTER (WHERE "firstInSession" = 'true') AS "userAgentOsFamily"
FROM "clickstream"
WHERE "__time" >= MILLIS_TO_TIMESTAMP(?)
  AND {included_events}
  AND PARSE_LONG(REGEXP_EXTRACT("sessionId", '^0:([0-9a-z]+):', 1), 36) >= ?
  AND PARSE_LONG(REGEXP_EXTRACT("sessionId", '^0:([0-9a-z]+):', 1), 36) < ?
GROUP BY "sessionId"
