"""What Divolte's collector writes for one ``divolte.signal(type, parameters)`` of a browser.

divolte.js sends each signal to the collector with the page's context (party, session and page view ids,
location, referrer, client time, viewport and screen sizes, user agent); the collector maps it to a record
of ``schema/clickstream.avsc`` with ``stack/divolte/mapping.groovy``. ``collected_event`` is that mapping
in Python, for events that come from real pages without a collector (the sample site driven in a browser
with a recording stand-in for ``divolte``): the record it gives is what Divolte's Kafka sink would write,
so ``kafka_sink.produce_records`` can send it on.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from superset_divolte.event_schema import field_names

EVENT_PARAMETERS = ("technology", "experiment", "variant")
"""The event parameters the mapping keeps, each as the field of the same name."""
CAMPAIGN_PARAMETERS = {"utmSource": "utm_source", "utmMedium": "utm_medium", "utmCampaign": "utm_campaign"}
"""Fields taken from the location's query, as the mapping's ``locationQuery.value(...)``."""
USER_AGENT_FIELDS = ("userAgentName", "userAgentFamily", "userAgentVendor", "userAgentType", "userAgentVersion",
                     "userAgentDeviceCategory", "userAgentOsFamily", "userAgentOsVersion", "userAgentOsVendor")
"""Filled by the collector's own user agent parser; left null here (the string itself is kept)."""


def collected_event(signal: Mapping[str, Any], received_ms: int, remote_host: str) -> dict[str, Any]:
    """The record the collector maps one browser signal to, received at ``received_ms`` from ``remote_host``.

    ``signal`` holds what divolte.js sends: ``type``, ``parameters`` (a dict), ``location``, ``referrer``
    (None for none), ``clientTimestamp`` (epoch ms), ``partyId``, ``sessionId``, ``pageViewId``, ``eventId``
    (the page view id and the page's event counter in hex, as divolte.js makes it),
    ``firstInSession``, ``viewportPixelWidth``/``Height``, ``screenPixelWidth``/``Height`` and
    ``userAgentString``. Parameters the mapping does not name are dropped, as Divolte drops them.
    """
    location, referrer = signal["location"], signal.get("referrer") or None
    query = parse_qs(urlsplit(location).query)
    parameters = signal.get("parameters") or {}
    record: dict[str, Any] = {
        "detectedDuplicate": False,
        "detectedCorruption": False,
        "firstInSession": bool(signal["firstInSession"]),
        "timestamp": received_ms,
        "clientTimestamp": int(signal["clientTimestamp"]),
        "remoteHost": remote_host,
        "referer": referrer,
        "location": location,
        **{name: signal.get(name) for name in ("viewportPixelWidth", "viewportPixelHeight", "screenPixelWidth",
                                               "screenPixelHeight", "partyId", "sessionId", "pageViewId",
                                               "eventId", "userAgentString")},
        "eventType": signal["type"],
        **dict.fromkeys(USER_AGENT_FIELDS),
        "locationPath": unquote(urlsplit(location).path) or None,
        "refererHost": urlsplit(referrer).hostname if referrer else None,
        **{name: query[key][0] if key in query else None for name, key in CAMPAIGN_PARAMETERS.items()},
        **{name: _text(parameters.get(name)) for name in EVENT_PARAMETERS},
    }
    return {name: record[name] for name in field_names()}


def _text(value: Any) -> str | None:
    """An event parameter as the mapping's ``value(...)`` gives it: its text, or null when absent."""
    return None if value is None else str(value)
