// Divolte mapping: every field of superset_divolte/schema/clickstream.avsc, nothing else.
// tests/test_stack_divolte.py fails when a schema field is not mapped here or a mapped one is not in the schema.
mapping {
  map duplicate() onto 'detectedDuplicate'
  map corrupt() onto 'detectedCorruption'
  map firstInSession() onto 'firstInSession'
  map timestamp() onto 'timestamp'
  map clientTimestamp() onto 'clientTimestamp'
  map remoteHost() onto 'remoteHost'
  map referer() onto 'referer'
  map location() onto 'location'
  map viewportPixelWidth() onto 'viewportPixelWidth'
  map viewportPixelHeight() onto 'viewportPixelHeight'
  map screenPixelWidth() onto 'screenPixelWidth'
  map screenPixelHeight() onto 'screenPixelHeight'
  map partyId() onto 'partyId'
  map sessionId() onto 'sessionId'
  map pageViewId() onto 'pageViewId'
  map eventId() onto 'eventId'
  map eventType() onto 'eventType'

  map userAgentString() onto 'userAgentString'
  map userAgent().name() onto 'userAgentName'
  map userAgent().family() onto 'userAgentFamily'
  map userAgent().vendor() onto 'userAgentVendor'
  map userAgent().type() onto 'userAgentType'
  map userAgent().version() onto 'userAgentVersion'
  map userAgent().deviceCategory() onto 'userAgentDeviceCategory'
  map userAgent().osFamily() onto 'userAgentOsFamily'
  map userAgent().osVersion() onto 'userAgentOsVersion'
  map userAgent().osVendor() onto 'userAgentOsVendor'

  def locationUri = parse location() to uri
  map locationUri.path() onto 'locationPath'
  def locationQuery = locationUri.query()
  map locationQuery.value('utm_source') onto 'utmSource'
  map locationQuery.value('utm_medium') onto 'utmMedium'
  map locationQuery.value('utm_campaign') onto 'utmCampaign'

  def refererUri = parse referer() to uri
  map refererUri.host() onto 'refererHost'

  // Event parameters sent by divolte.signal(type, {...}) on the sample pages.
  map eventParameters().value('technology') onto 'technology'
  map eventParameters().value('experiment') onto 'experiment'
  map eventParameters().value('variant') onto 'variant'
}
