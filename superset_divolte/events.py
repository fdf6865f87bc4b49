"""Event generation: realistic Divolte clickstream traffic, deterministic per seed.

Visitors (parties) arrive over the days with a daily and weekly rhythm, from
search, social, campaigns or directly, on a device that stays theirs. They come
back in later sessions; a session ends after 30 minutes without events, so the
next one of the same party starts more than 30 minutes after its last event and
``firstInSession`` is set on exactly the first event of each session. On the
site they view pages, click technology logos (the original demo), walk down a
signup funnel that many leave, and take part in an A/B experiment whose variants
convert at different rates.

Records are dicts keyed by the Avro field names of ``event_schema``, with
``timestamp`` and ``clientTimestamp`` in epoch milliseconds.
"""

from __future__ import annotations

import bisect
import math
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from superset_divolte.event_schema import field_names

SESSION_TIMEOUT_MS = 30 * 60 * 1000
SITE = "https://www.example.com"
TECHNOLOGIES = ("divolte", "kafka", "druid", "superset")
TECHNOLOGY_WEIGHTS = (0.22, 0.31, 0.19, 0.28)
EXPERIMENT = "pricing-cta"
VARIANTS = ("control", "treatment")
FUNNEL_STEPS = ("pricingView", "signupStart", "signupComplete", "purchase")
"""The site's signup funnel, in order, as custom event types."""
CONVERSION_EVENT = "signupComplete"
"""The event that counts as a conversion in the A/B experiment."""
SIGNUP_START_RATE = {"control": 0.30, "treatment": 0.40}
SIGNUP_COMPLETE_RATE = 0.62
PURCHASE_RATE = 0.45
PURCHASE_LATER_SHARE = 0.4
"""Share of purchases made in a later session, often outside a funnel window."""

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Device:
    """What a party browses with; Divolte's user agent parser fills these fields."""

    user_agent: str
    name: str
    family: str
    vendor: str
    ua_type: str
    version: str
    category: str
    os_family: str
    os_version: str
    os_vendor: str
    screens: tuple[tuple[int, int], ...]
    weight: float


DEVICES = (
    Device("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
           "Chrome", "Chrome", "Google Inc.", "Browser", "131.0.0.0", "Personal computer",
           "Windows", "10", "Microsoft Corporation", ((1920, 1080), (1536, 864), (2560, 1440)), 0.30),
    Device("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
           "Safari", "Safari", "Apple Inc.", "Browser", "18.1", "Personal computer",
           "OS X", "14.6", "Apple Computer, Inc.", ((1440, 900), (1512, 982), (1728, 1117)), 0.14),
    Device("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
           "Firefox", "Firefox", "Mozilla Foundation", "Browser", "133.0", "Personal computer",
           "Linux", "", "Linux Foundation", ((1920, 1080), (2560, 1440)), 0.08),
    Device("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
           "Chrome Mobile", "Chrome Mobile", "Google Inc.", "Mobile Browser", "131.0.0.0", "Smartphone",
           "Android", "14", "Google, Inc.", ((412, 915), (393, 873), (360, 800)), 0.25),
    Device("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
           "Mobile Safari", "Mobile Safari", "Apple Inc.", "Mobile Browser", "18.1", "Smartphone",
           "iOS", "18.1", "Apple Inc.", ((390, 844), (430, 932), (375, 667)), 0.18),
    Device("Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
           "Mobile Safari", "Mobile Safari", "Apple Inc.", "Mobile Browser", "17.6", "Tablet",
           "iOS", "17.6", "Apple Inc.", ((820, 1180), (1024, 1366)), 0.05),
)


@dataclass(frozen=True)
class Channel:
    """How a party found the site: the referrer and the campaign on the landing URL."""

    referrers: tuple[str, ...]
    utm: tuple[str, str, str] | None
    landings: tuple[str, ...]
    weight: float


CHANNELS = (
    Channel((), None, ("/", "/pricing", "/docs/getting-started"), 0.28),
    Channel(("https://www.google.com/", "https://duckduckgo.com/", "https://www.bing.com/"), None,
            ("/", "/blog/real-time-analytics", "/technologies/druid", "/technologies/kafka",
             "/docs/getting-started"), 0.34),
    Channel(("https://t.co/x1y2z3", "https://www.linkedin.com/feed/", "https://www.reddit.com/r/dataengineering/"),
            ("social", "social", "launch-week"), ("/", "/blog/real-time-analytics"), 0.14),
    Channel(("https://mail.example.net/",), ("newsletter", "email", "november-digest"),
            ("/blog/clickstream-at-scale", "/pricing"), 0.12),
    Channel(("https://www.google.com/",), ("google", "cpc", "brand-search"), ("/", "/pricing"), 0.12),
)

PAGES = ("/", "/technologies/divolte", "/technologies/kafka", "/technologies/druid",
         "/technologies/superset", "/pricing", "/docs/getting-started", "/blog/real-time-analytics",
         "/blog/clickstream-at-scale")
LOGO_PAGES = frozenset({"/", "/technologies/divolte", "/technologies/kafka",
                        "/technologies/druid", "/technologies/superset"})
DOCUMENTATION_NETWORKS = ("192.0.2", "198.51.100", "203.0.113")
"""Visitor addresses come from the ranges reserved for examples (RFC 5737)."""
HOURLY_WEIGHTS = tuple(0.25 + math.exp(-((hour - 14) ** 2) / 18) for hour in range(24))
WEEKDAY_WEIGHTS = (1.0, 1.05, 1.05, 1.0, 0.9, 0.6, 0.55)


@dataclass(frozen=True)
class GeneratorSettings:
    """What to generate: how many events over how many days, ending when."""

    seed: int = 42
    events: int = 300_000
    days: int = 14
    end: datetime = field(default_factory=lambda: floor_to_minute(datetime.now(timezone.utc)))


def floor_to_minute(moment: datetime) -> datetime:
    """``moment`` without seconds; a stable default end within a minute."""
    return moment.replace(second=0, microsecond=0)


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


class _Ids:
    """Divolte-shaped identifiers (``0:<base36 time>:<32 random chars>``) from a seeded RNG."""

    ALPHABET = string.ascii_letters + string.digits + "-_"

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def make(self, at_ms: int) -> str:
        stamp = _base36(at_ms)
        tail = "".join(self._rng.choices(self.ALPHABET, k=32))
        return f"0:{stamp}:{tail}"


def _base36(number: int) -> str:
    digits = string.digits + string.ascii_lowercase
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


@dataclass
class _Party:
    party_id: str
    device: Device
    screen: tuple[int, int]
    remote_host: str
    channel: Channel
    clock_skew_ms: int
    variant: str | None = None
    owes_purchase: bool = False


class _SessionWriter:
    """Builds the records of one session, enforcing the 30-minute rule."""

    def __init__(self, party: _Party, session_id: str, start_ms: int, ids: _Ids) -> None:
        self.party = party
        self.session_id = session_id
        self.now_ms = start_ms
        self.ids = ids
        self.records: list[dict[str, Any]] = []
        self.page_view_id = ""
        self.location = ""
        self.page_referer: str | None = None

    def advance(self, gap_ms: int) -> None:
        # A gap of 30 minutes or more would silently start a new session in Divolte.
        self.now_ms += max(1000, min(gap_ms, SESSION_TIMEOUT_MS - 60_000))

    def page_view(self, path: str, referer: str | None, utm: tuple[str, str, str] | None) -> None:
        query = f"?utm_source={utm[0]}&utm_medium={utm[1]}&utm_campaign={utm[2]}" if utm else ""
        self.page_referer = referer
        self.location = f"{SITE}{path}{query}"
        self.page_view_id = self.ids.make(self.now_ms)
        self.emit("pageView", path=path, utm=utm)

    def emit(self, event_type: str, path: str | None = None, utm: tuple[str, str, str] | None = None,
             technology: str | None = None) -> None:
        party, device = self.party, self.party.device
        width, height = party.screen
        referer = self.page_referer
        variant = party.variant
        self.records.append({
            "detectedDuplicate": False,
            "detectedCorruption": False,
            "firstInSession": not self.records,
            "timestamp": self.now_ms,
            "clientTimestamp": self.now_ms + party.clock_skew_ms,
            "remoteHost": party.remote_host,
            "referer": referer,
            "location": self.location,
            "viewportPixelWidth": width,
            "viewportPixelHeight": height - 120 if height > 700 else height - 60,
            "screenPixelWidth": width,
            "screenPixelHeight": height,
            "partyId": party.party_id,
            "sessionId": self.session_id,
            "pageViewId": self.page_view_id,
            "eventType": event_type,
            "userAgentString": device.user_agent,
            "userAgentName": device.name,
            "userAgentFamily": device.family,
            "userAgentVendor": device.vendor,
            "userAgentType": device.ua_type,
            "userAgentVersion": device.version,
            "userAgentDeviceCategory": device.category,
            "userAgentOsFamily": device.os_family,
            "userAgentOsVersion": device.os_version,
            "userAgentOsVendor": device.os_vendor,
            "locationPath": path if path is not None else _path_of(self.location),
            "refererHost": _host_of(referer),
            "utmSource": utm[0] if utm else _query_value(self.location, "utm_source"),
            "utmMedium": utm[1] if utm else _query_value(self.location, "utm_medium"),
            "utmCampaign": utm[2] if utm else _query_value(self.location, "utm_campaign"),
            "technology": technology,
            "experiment": EXPERIMENT if variant else None,
            "variant": variant,
        })


def _path_of(url: str) -> str:
    rest = url.split("://", 1)[1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0]


def _host_of(url: str | None) -> str | None:
    if not url:
        return None
    return url.split("://", 1)[1].split("/", 1)[0]


def _query_value(url: str, key: str) -> str | None:
    if "?" not in url:
        return None
    for pair in url.split("?", 1)[1].split("&"):
        name, _, value = pair.partition("=")
        if name == key:
            return value
    return None


class ClickstreamGenerator:
    """Generates sessions of parties until the requested number of events exists."""

    def __init__(self, settings: GeneratorSettings) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.ids = _Ids(self.rng)
        self.end_ms = epoch_ms(settings.end)
        self.start_ms = self.end_ms - settings.days * 86_400_000
        self._day_starts = [self.start_ms + day * 86_400_000 for day in range(settings.days)]
        self._day_weights = [
            WEEKDAY_WEIGHTS[datetime.fromtimestamp(start / 1000, timezone.utc).weekday()]
            for start in self._day_starts
        ]

    def records(self, progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
        """Exactly ``settings.events`` records, sorted by time."""
        target = self.settings.events
        out: list[dict[str, Any]] = []
        next_report = 0
        while len(out) < target:
            for session in self._party_sessions():
                out.extend(session)
            if progress and len(out) >= next_report:
                progress(min(len(out), target), target)
                next_report += max(1, target // 20)
        # Cutting the list ends the last party's last session early; every session stays well formed.
        out = out[:target]
        out.sort(key=lambda record: (record["timestamp"], record["partyId"]))
        if progress:
            progress(len(out), target)
        return out

    def new_party(self, first_ms: int) -> _Party:
        """A new visitor with a device, an address and a way of finding the site."""
        rng = self.rng
        device = rng.choices(DEVICES, weights=[d.weight for d in DEVICES])[0]
        channel = rng.choices(CHANNELS, weights=[c.weight for c in CHANNELS])[0]
        return _Party(
            party_id=self.ids.make(first_ms),
            device=device,
            screen=rng.choice(device.screens),
            remote_host=f"{rng.choice(DOCUMENTATION_NETWORKS)}.{rng.randrange(1, 255)}",
            channel=channel,
            clock_skew_ms=rng.randint(-4000, 4000),
        )

    def _random_moment(self, earliest_ms: int) -> int | None:
        """A session start after ``earliest_ms`` following the daily rhythm, or None past the end."""
        rng = self.rng
        first_day = max(0, bisect.bisect_right(self._day_starts, earliest_ms) - 1)
        days = range(first_day, self.settings.days)
        if not days:
            return None
        day = rng.choices(days, weights=self._day_weights[first_day:])[0]
        hour = rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
        moment = self._day_starts[day] + hour * 3_600_000 + rng.randrange(3_600_000)
        moment = max(moment, earliest_ms)
        return moment if moment < self.end_ms - 3_600_000 else None

    def _party_sessions(self) -> Iterator[list[dict[str, Any]]]:
        rng = self.rng
        start = self._random_moment(self.start_ms)
        if start is None:
            return
        party = self.new_party(start)
        first = True
        while start is not None:
            writer = _SessionWriter(party, self.ids.make(start), start, self.ids)
            self._browse(writer, first)
            first = False
            yield writer.records
            if rng.random() > 0.42:
                return
            gap_days = min(int(rng.expovariate(1 / 1.8)), self.settings.days)
            earliest = writer.now_ms + SESSION_TIMEOUT_MS + 60_000 + gap_days * 86_400_000
            start = self._random_moment(earliest)

    def _browse(self, writer: _SessionWriter, first_visit: bool) -> None:
        rng = self.rng
        party = writer.party
        channel = party.channel if first_visit or rng.random() < 0.3 else CHANNELS[0]
        referer = rng.choice(channel.referrers) if channel.referrers else None
        path = rng.choice(channel.landings)
        if party.owes_purchase:
            path = "/pricing"
        writer.page_view(path, referer, channel.utm)
        for _ in range(40):
            self._on_page(writer, path)
            if rng.random() < 0.33:
                return
            previous = writer.location
            path = self._next_path(path)
            writer.advance(int(rng.lognormvariate(10.2, 1.0)))
            writer.page_view(path, previous, None)

    def _next_path(self, path: str) -> str:
        rng = self.rng
        if path in LOGO_PAGES and rng.random() < 0.25:
            return "/pricing"
        return rng.choice(PAGES)

    def _on_page(self, writer: _SessionWriter, path: str) -> None:
        rng = self.rng
        if path in LOGO_PAGES:
            for _ in range(min(int(rng.expovariate(1 / 1.3)), 8)):
                writer.advance(int(rng.expovariate(1 / 6000)))
                technology = rng.choices(TECHNOLOGIES, weights=TECHNOLOGY_WEIGHTS)[0]
                if path.startswith("/technologies/") and rng.random() < 0.6:
                    technology = path.rsplit("/", 1)[1]
                writer.emit("click", technology=technology)
        elif path == "/pricing":
            self._pricing(writer)
        elif path == "/docs/getting-started" and rng.random() < 0.05:
            # Jumps straight into signup without seeing pricing: out of funnel order.
            writer.advance(int(rng.expovariate(1 / 20_000)))
            writer.emit("signupStart")

    def _pricing(self, writer: _SessionWriter) -> None:
        rng = self.rng
        party = writer.party
        if party.variant is None:
            party.variant = rng.choice(VARIANTS)
        writer.advance(int(rng.expovariate(1 / 8000)))
        writer.emit("pricingView")
        if party.owes_purchase:
            party.owes_purchase = False
            writer.advance(int(rng.expovariate(1 / 30_000)))
            writer.emit("purchase")
            return
        if rng.random() >= SIGNUP_START_RATE[party.variant]:
            return
        writer.advance(int(rng.expovariate(1 / 15_000)))
        writer.emit("signupStart")
        if rng.random() >= SIGNUP_COMPLETE_RATE:
            return
        writer.advance(int(rng.expovariate(1 / 60_000)))
        writer.emit("signupComplete")
        if rng.random() >= PURCHASE_RATE:
            return
        if rng.random() < PURCHASE_LATER_SHARE:
            party.owes_purchase = True
            return
        writer.advance(int(rng.expovariate(1 / 90_000)))
        writer.emit("purchase")


def generate_events(settings: GeneratorSettings, progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Generate ``settings.events`` Divolte event records, sorted by time."""
    records = ClickstreamGenerator(settings).records(progress)
    expected = set(field_names())
    if records and set(records[0]) != expected:
        raise AssertionError(f"generator drifted from the schema: {set(records[0]) ^ expected}")
    return records


def live_events(rng: random.Random, now: datetime, clicks: int) -> list[dict[str, Any]]:
    """One fresh session ending at ``now``: a home page view and ``clicks`` logo clicks.

    This is the demo's trickle: what visitors clicking logos would send while
    someone watches the dashboard.
    """
    generator = ClickstreamGenerator(GeneratorSettings(seed=rng.randrange(2**31), events=clicks + 1, days=1, end=now))
    now_ms = epoch_ms(now)
    start_ms = now_ms - clicks * 1000
    writer = _SessionWriter(generator.new_party(start_ms), generator.ids.make(start_ms), start_ms, generator.ids)
    writer.page_view("/", None, None)
    for _ in range(clicks):
        writer.advance(1000)
        writer.emit("click", technology=generator.rng.choices(TECHNOLOGIES, weights=TECHNOLOGY_WEIGHTS)[0])
    return writer.records
