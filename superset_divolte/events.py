"""Event generation: realistic Divolte clickstream traffic, deterministic per seed.

Visitors (parties) arrive over the days with a daily and weekly rhythm, from
search, social, campaigns or directly, on a device that stays theirs. They come
back in later sessions; a session ends after 30 minutes without events, so the
next one of the same party starts more than 30 minutes after its last event and
``firstInSession`` is set on exactly the first event of each session. On the
site they view pages, click technology logos (the original demo), walk down a
signup funnel that many leave, and take part in an A/B experiment whose variants
convert at different rates.

Some of what arrives is not a visitor's click, as on a real site (see
docs/metrics.md for the rates): the collector receives some events again
(``detectedDuplicate``: the same party, session and ``eventId``, seconds
later), some arrive mangled (``detectedCorruption``), and crawlers that run the
tag browse as robots (``userAgentType`` ``Robot``). ``event_exclusion`` says
which events the dashboards leave out.

Generation is a stream: a heap holds every party's next session, and the
sessions starting in each hour of the range are played out in time order, so
memory holds the concurrent sessions and the scheduled returns, never the whole
data set. Each hour's finished events come out as one batch of rows, sorted by
time and party. A row is a tuple in the Avro field order of ``event_schema``
(``ROW_FIELDS``); ``generate_events`` turns the rows of a small data set into
dicts keyed by those names. ``timestamp`` and ``clientTimestamp`` are epoch
milliseconds.
"""

from __future__ import annotations

import binascii
import bisect
import heapq
import itertools
import math
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any, Callable, Iterator

from superset_divolte.event_exclusion import ROBOT_TYPE
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

    @property
    def fields(self) -> tuple[str, ...]:
        """The user agent fields of a row, in schema order."""
        return (self.user_agent, self.name, self.family, self.vendor, self.ua_type, self.version,
                self.category, self.os_family, self.os_version, self.os_vendor)


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

ROBOTS = (
    Device("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
           "Googlebot", "Googlebot", "Google Inc.", ROBOT_TYPE, "2.1", "Other",
           "unknown", "", "unknown", ((1024, 1024),), 0.55),
    Device("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
           "bingbot", "bingbot", "Microsoft Corporation", ROBOT_TYPE, "2.0", "Other",
           "unknown", "", "unknown", ((1366, 768),), 0.30),
    Device("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
           "YandexBot", "YandexBot", "Yandex LLC", ROBOT_TYPE, "3.0", "Other",
           "unknown", "", "unknown", ((1280, 1024),), 0.15),
)
"""Crawlers that run the tag, as Divolte's user agent parser reports them (type ``Robot``)."""
ROBOT_PARTY_SHARE = 0.02
"""Share of new parties that are robots; their long crawls make about 5 % of the events (docs/metrics.md)."""
DUPLICATE_RATE = 0.008
"""Chance that the collector receives an event again (each time, one to six copies; about 1 % of events)."""
DUPLICATE_BURST_SHARE = 0.1
"""Share of re-sent events that come several times (a browser or proxy repeating a request)."""
MEAN_DUPLICATE_DELAY_MS = 3000
MAX_DUPLICATE_DELAY_MS = 120_000
"""Copies arrive within seconds, all within two minutes: what Divolte's short-term duplicate memory catches."""
CORRUPTION_RATE = 0.004
"""Chance that a custom event (a click, a funnel step) arrives with a checksum that does not match.

Page views are never corrupted here: the page-to-page flow follows the next page view's referrer, which
would still name a page view left out (docs/metrics.md)."""


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


ROW_FIELDS = (
    "detectedDuplicate", "detectedCorruption", "firstInSession", "timestamp", "clientTimestamp", "remoteHost",
    "referer", "location", "viewportPixelWidth", "viewportPixelHeight", "screenPixelWidth", "screenPixelHeight",
    "partyId", "sessionId", "pageViewId", "eventId", "eventType", "userAgentString", "userAgentName", "userAgentFamily",
    "userAgentVendor", "userAgentType", "userAgentVersion", "userAgentDeviceCategory", "userAgentOsFamily",
    "userAgentOsVersion", "userAgentOsVendor", "locationPath", "refererHost", "utmSource", "utmMedium",
    "utmCampaign", "technology", "experiment", "variant")
"""The fields of a generated row, in order: the Avro schema's (checked by ``check_row_fields``)."""
COLUMN = {name: index for index, name in enumerate(ROW_FIELDS)}
"""Position of each field in a row."""
TIMESTAMP = COLUMN["timestamp"]
PARTY = COLUMN["partyId"]
SESSION = COLUMN["sessionId"]
DAY_MS = 86_400_000
WINDOW_MS = 3_600_000
"""Sessions are played out an hour at a time; each hour's finished events make one batch."""
RETURN_PROBABILITY = 0.42
"""Chance that a party comes back after a session."""
MEAN_RETURN_GAP_DAYS = 1.8
EVENTS_PER_SESSION_PRIOR = 5.0
"""A first guess of events per session, until the stream has measured its own."""

ProgressCallback = Callable[[int, int], None]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class GeneratorSettings:
    """What to generate: how many events over how many days, ending when."""

    seed: int = 42
    events: int = 300_000
    days: int = 14
    end: datetime = field(default_factory=lambda: floor_to_minute(datetime.now(timezone.utc)))
    shards: int | None = None
    """Independent streams the events come from (see ``shard_streams``); None: by size."""


def floor_to_minute(moment: datetime) -> datetime:
    """``moment`` without seconds; a stable default end within a minute."""
    return moment.replace(second=0, microsecond=0)


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def check_row_fields() -> None:
    """Fail loudly if the generator's row layout drifted from the Avro schema."""
    if ROW_FIELDS != field_names():
        raise AssertionError(f"generator drifted from the schema: {set(ROW_FIELDS) ^ set(field_names())}")


class _Ids:
    """Divolte-shaped identifiers (``0:<base36 time>:<32 random chars>``) from a seeded RNG.

    The 32 characters are 192 random bits in URL-safe base64: Divolte's own alphabet.
    """

    URL_SAFE = bytes.maketrans(b"+/", b"-_")

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits

    def make(self, at_ms: int) -> str:
        tail = binascii.b2a_base64(self._bits(192).to_bytes(24, "little"), newline=False).translate(self.URL_SAFE)
        return f"0:{_base36(at_ms)}:{tail.decode()}"


_BASE36_DIGITS = string.digits + string.ascii_lowercase
_BASE36_TRIPLES = [a + b + c for a in _BASE36_DIGITS for b in _BASE36_DIGITS for c in _BASE36_DIGITS]
"""Every three-digit base-36 string, so a timestamp takes three look-ups instead of eight divisions."""


def _base36(number: int) -> str:
    if number >= 36 ** 9:  # past the year 2300 in epoch milliseconds
        high, rest = divmod(number, 36 ** 9)
        return _base36(high) + _base36(rest).rjust(9, "0")
    top, low = divmod(number, 36 ** 3)
    top, middle = divmod(top, 36 ** 3)
    return (_BASE36_TRIPLES[top] + _BASE36_TRIPLES[middle] + _BASE36_TRIPLES[low]).lstrip("0") or "0"


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


def _path_of(url: str) -> str:
    rest = url.split("://", 1)[1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0]


def _host_of(url: str | None) -> str | None:
    if not url:
        return None
    return url.split("://", 1)[1].split("/", 1)[0]


class _SessionWriter:
    """Builds the rows of one session, enforcing the 30-minute rule."""

    def __init__(self, party: _Party, session_id: str, start_ms: int, ids: _Ids,
                 delivery: random.Random | None = None) -> None:
        self.party = party
        self.session_id = session_id
        self.now_ms = start_ms
        self.latest_ms = start_ms
        """The latest time of the session's rows, re-sent copies included."""
        self.ids = ids
        self.delivery = delivery
        """Decides which events arrive twice or corrupted; None: every event arrives once, intact."""
        self.rows: list[Row] = []
        self._events_on_page = 0
        width, height = party.screen
        self._screen = (width, height - 120 if height > 700 else height - 60, width, height)
        self._page: tuple[Any, ...] = ()
        self._page_view_id = ""
        self._location = ""

    def advance(self, gap_ms: int) -> None:
        # A gap of 30 minutes or more would silently start a new session in Divolte.
        self.now_ms += max(1000, min(gap_ms, SESSION_TIMEOUT_MS - 60_000))

    @property
    def location(self) -> str:
        """The URL of the page the visitor is on."""
        return self._location

    def page_view(self, path: str, referer: str | None, utm: tuple[str, str, str] | None) -> None:
        query = f"?utm_source={utm[0]}&utm_medium={utm[1]}&utm_campaign={utm[2]}" if utm else ""
        self._location = f"{SITE}{path}{query}"
        self._page_view_id = self.ids.make(self.now_ms)
        self._events_on_page = 0
        # Every event on a page shares its URL, referrer and campaign: computed once per page view.
        self._page = (referer, self._location, path, _host_of(referer), *(utm or (None, None, None)))
        self.emit("pageView")

    def emit(self, event_type: str, technology: str | None = None) -> None:
        party = self.party
        referer, location, path, referer_host, source, medium, campaign = self._page
        variant = party.variant
        # As Divolte's tag makes it: the page view id and a counter of the page's events, in hex.
        event_id = f"{self._page_view_id}{self._events_on_page:x}"
        self._events_on_page += 1
        delivery = self.delivery
        corrupt = delivery is not None and event_type != "pageView" and delivery.random() < CORRUPTION_RATE
        row = (False, corrupt, not self.rows, self.now_ms, self.now_ms + party.clock_skew_ms, party.remote_host,
               referer, location, *self._screen, party.party_id, self.session_id, self._page_view_id, event_id,
               event_type, *party.device.fields, path, referer_host, source, medium, campaign, technology,
               EXPERIMENT if variant else None, variant)
        self.rows.append(row)
        self.latest_ms = max(self.latest_ms, self.now_ms)
        if delivery is not None and delivery.random() < DUPLICATE_RATE:
            self._resend(row, delivery)

    def _resend(self, row: Row, delivery: random.Random) -> None:
        """Copies of ``row`` received again: flagged, with the same ids, only the server time later."""
        copies = delivery.randint(2, 6) if delivery.random() < DUPLICATE_BURST_SHARE else 1
        received = row[TIMESTAMP]
        for _ in range(copies):
            received += min(1 + int(delivery.expovariate(1 / MEAN_DUPLICATE_DELAY_MS)), MAX_DUPLICATE_DELAY_MS)
            self.rows.append((True, *row[1:TIMESTAMP], received, *row[TIMESTAMP + 1:]))
            self.latest_ms = max(self.latest_ms, received)


def _cumulative(weights: tuple[float, ...]) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, options: tuple[Any, ...] | range, cumulative: list[float]) -> Any:
    """A weighted choice, as ``rng.choices(options, cum_weights=cumulative)[0]`` without its list."""
    return options[bisect.bisect(cumulative, rng.random() * cumulative[-1], 0, len(cumulative) - 1)]


DEVICE_CUMULATIVE = _cumulative(tuple(d.weight for d in DEVICES))
ROBOT_CUMULATIVE = _cumulative(tuple(d.weight for d in ROBOTS))
CHANNEL_CUMULATIVE = _cumulative(tuple(c.weight for c in CHANNELS))
TECHNOLOGY_CUMULATIVE = _cumulative(TECHNOLOGY_WEIGHTS)
HOUR_CUMULATIVE = _cumulative(HOURLY_WEIGHTS)


class _Browsing:
    """What a party does on the site in one session: the behaviour model, one RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids = _Ids(rng)

    def new_party(self, first_ms: int, robots: bool = True) -> _Party:
        """A new visitor with a device, an address and a way of finding the site (a robot, now and then)."""
        rng = self.rng
        robot = robots and rng.random() < ROBOT_PARTY_SHARE
        device = _pick(rng, ROBOTS, ROBOT_CUMULATIVE) if robot else _pick(rng, DEVICES, DEVICE_CUMULATIVE)
        channel = CHANNELS[0] if robot else _pick(rng, CHANNELS, CHANNEL_CUMULATIVE)
        return _Party(
            party_id=self.ids.make(first_ms),
            device=device,
            screen=rng.choice(device.screens),
            remote_host=f"{rng.choice(DOCUMENTATION_NETWORKS)}.{rng.randrange(1, 255)}",
            channel=channel,
            clock_skew_ms=rng.randint(-4000, 4000),
        )

    def session(self, party: _Party, start_ms: int, first_visit: bool) -> _SessionWriter:
        """One whole session of ``party`` from ``start_ms``."""
        writer = _SessionWriter(party, self.ids.make(start_ms), start_ms, self.ids, delivery=self.rng)
        if party.device.ua_type == ROBOT_TYPE:
            self._crawl(writer)
        else:
            self._browse(writer, first_visit)
        return writer

    def _crawl(self, writer: _SessionWriter) -> None:
        """A robot's visit: page views only, a few seconds apart, no referrer, no clicks, no experiment."""
        rng = self.rng
        writer.page_view("/", None, None)
        for _ in range(min(int(rng.expovariate(1 / 14)), 60)):
            previous = writer.location
            writer.advance(int(rng.uniform(1500, 6000)))
            writer.page_view(rng.choice(PAGES), previous, None)

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
                technology = _pick(rng, TECHNOLOGIES, TECHNOLOGY_CUMULATIVE)
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


def _earlier_returners(days_in: float) -> float:
    """Parties whose first visit was before the range but who come back at ``days_in`` into it, per new party.

    In a steady state each new party brings ``RETURN_PROBABILITY / (1 - RETURN_PROBABILITY)`` later
    sessions; those of parties that arrived before the range thin out over the first days. Without them
    the first days would lack returning visitors and the rest would have to make up for it.
    """
    infinite = RETURN_PROBABILITY / (1 - RETURN_PROBABILITY)
    return infinite * math.exp(-days_in / MEAN_RETURN_GAP_DAYS)


def _returns_within(days_left: float) -> float:
    """Expected later sessions of a new party that still fall in the range (a geometric chain of gaps)."""
    infinite = RETURN_PROBABILITY / (1 - RETURN_PROBABILITY)
    return infinite * (1 - math.exp(-max(days_left, 0.0) / MEAN_RETURN_GAP_DAYS))


class ClickstreamStream:
    """Time-ordered batches of exactly ``events`` rows over the range, deterministic per seed.

    New parties arrive in each hour in proportion to the daily and weekly rhythm;
    how many is steered hour by hour so the whole range holds the requested events
    (what is still missing, over what the remaining hours are expected to bring),
    so no hour has to make up for the others. A return visit is scheduled near its
    planned gap, at an hour of that day that follows the daily rhythm; one that
    falls past the end does not happen. Sessions run up to the end of the range;
    events after it are not generated. The last hour tops up what is missing, and
    the stream stops at exactly ``events`` rows (the last hour's longest sessions may be cut short).
    """

    def __init__(self, settings: GeneratorSettings, seed: int | None = None, events: int | None = None) -> None:
        self.settings = settings
        self.target = settings.events if events is None else events
        self.rng = random.Random(settings.seed if seed is None else seed)
        self.browsing = _Browsing(self.rng)
        self.end_ms = epoch_ms(settings.end)
        self.start_ms = self.end_ms - settings.days * DAY_MS
        self.windows = range(self.start_ms, self.end_ms, WINDOW_MS)
        self._weights = [self._weight(start) for start in self.windows]
        self._expected_sessions = self._expected_sessions_per_weight()
        self._heap: list[tuple[int, int, _Party, bool]] = []
        self._order = itertools.count()
        self._pending: list[Row] = []
        self._produced = 0
        self._sessions = 0

    @staticmethod
    def _weight(window_start: int) -> float:
        moment = datetime.fromtimestamp(window_start / 1000, timezone.utc)
        return WEEKDAY_WEIGHTS[moment.weekday()] * HOURLY_WEIGHTS[moment.hour]

    def _expected_sessions_per_weight(self) -> list[float]:
        """For each hour: the sessions one unit of arrival weight from then on still brings (suffix sums)."""
        sums = [0.0] * (len(self._weights) + 1)
        for index in range(len(self._weights) - 1, -1, -1):
            days_left = (self.end_ms - self.windows[index]) / DAY_MS
            days_in = (self.windows[index] - self.start_ms) / DAY_MS
            sessions = (1 + _earlier_returners(days_in)) * (1 + _returns_within(days_left))
            sums[index] = sums[index + 1] + self._weights[index] * sessions
        return sums

    def batches(self) -> Iterator[list[Row]]:
        """Each hour's events, sorted by (timestamp, partyId); empty hours give no batch."""
        emitted = 0
        last = len(self.windows) - 1
        for index, window_start in enumerate(self.windows):
            window_end = min(window_start + WINDOW_MS, self.end_ms)
            self._arrive(index, window_start, window_end)
            self._play_until(window_end)
            while index == last and self._produced < self.target:
                self._schedule(self.browsing.new_party(window_start), self._moment_in(window_start, window_end), True)
                self._play_until(window_end)
            batch = self._finished_before(window_end)
            if emitted + len(batch) >= self.target:
                yield _trimmed(batch, emitted + len(batch) - self.target)
                return
            emitted += len(batch)
            if batch:
                yield batch

    def _moment_in(self, start: int, end: int) -> int:
        return start + self.rng.randrange(end - start)

    def _arrive(self, index: int, window_start: int, window_end: int) -> None:
        """New parties for this hour: the missing events, spread over the weight still to come."""
        per_session = (self._produced + EVENTS_PER_SESSION_PRIOR * 50) / (self._sessions + 50)
        missing = self.target - self._produced - len(self._heap) * per_session
        if missing <= 0:
            return
        expected = missing * self._weights[index] / (per_session * self._expected_sessions[index])
        days_in = (window_start - self.start_ms) / DAY_MS
        for share, first_visit in ((1.0, True), (_earlier_returners(days_in), False)):
            for _ in range(self._round(expected * share)):
                moment = self._moment_in(window_start, window_end)
                self._schedule(self.browsing.new_party(moment), moment, first_visit)

    def _round(self, expected: float) -> int:
        """``expected`` rounded up or down at random, so the counts add up to it on average."""
        whole = int(expected)
        return whole + (self.rng.random() < expected - whole)

    def _schedule(self, party: _Party, start_ms: int, first_visit: bool) -> None:
        heapq.heappush(self._heap, (start_ms, next(self._order), party, first_visit))

    def _play_until(self, window_end: int) -> None:
        """Play every session starting before ``window_end``, scheduling the returns they lead to."""
        heap, end_ms = self._heap, self.end_ms
        while heap and heap[0][0] < window_end:
            start_ms, _, party, first_visit = heapq.heappop(heap)
            writer = self.browsing.session(party, start_ms, first_visit)
            rows = writer.rows
            if writer.latest_ms >= end_ms:
                rows = [row for row in rows if row[TIMESTAMP] < end_ms]
            self._pending.extend(rows)
            self._produced += len(rows)
            self._sessions += 1
            comeback = self._return_moment(writer.now_ms)
            if comeback is not None:
                self._schedule(party, comeback, False)

    def _return_moment(self, last_event_ms: int) -> int | None:
        """When the party comes back, near a planned gap of whole days, or None."""
        rng = self.rng
        if rng.random() > RETURN_PROBABILITY:
            return None
        gap_days = int(rng.expovariate(1 / MEAN_RETURN_GAP_DAYS))
        earliest = last_event_ms + SESSION_TIMEOUT_MS + 60_000 + gap_days * DAY_MS
        day_start = earliest - (earliest - self.start_ms) % DAY_MS
        hour = _pick(rng, range(24), HOUR_CUMULATIVE)
        moment = day_start + hour * WINDOW_MS + rng.randrange(WINDOW_MS)
        if moment < earliest:
            moment += DAY_MS
        return moment if moment < self.end_ms else None

    def _finished_before(self, moment: int) -> list[Row]:
        """The pending rows before ``moment``, sorted: no session still to be played starts earlier."""
        ready = [row for row in self._pending if row[TIMESTAMP] < moment]
        self._pending = [row for row in self._pending if row[TIMESTAMP] >= moment]
        ready.sort(key=itemgetter(TIMESTAMP, PARTY))
        return ready


def _trimmed(batch: list[Row], excess: int) -> list[Row]:
    """``batch`` without ``excess`` rows, each the last row of the session with the most rows left in it.

    Cutting the longest sessions short, rather than the batch's newest rows,
    keeps events up to the end of the range. A session loses rows from its end,
    so a re-sent copy (always later than its original) goes before the original.
    """
    if excess <= 0:
        return batch
    positions: dict[str, list[int]] = {}
    for position, row in enumerate(batch):
        positions.setdefault(row[SESSION], []).append(position)
    longest = [(-len(rows), session) for session, rows in positions.items()]
    heapq.heapify(longest)
    dropped = set()
    for _ in range(excess):
        _, session = heapq.heappop(longest)
        dropped.add(positions[session].pop())
        if positions[session]:
            heapq.heappush(longest, (-len(positions[session]), session))
    return [row for position, row in enumerate(batch) if position not in dropped]


PARALLEL_FROM_EVENTS = 500_000
"""From this size on, the events come from ``SHARDS`` independent streams that worker processes can run."""
SHARDS = 4


def shard_streams(settings: GeneratorSettings) -> list[ClickstreamStream]:
    """The independent streams that make up ``settings``' events, each with its own parties and seed.

    How many depends only on the settings, never on the machine, so a seed gives
    the same events everywhere. Parties never cross streams, so each party's
    events stay in time order whichever way the streams are interleaved.
    """
    shards = settings.shards or (SHARDS if settings.events >= PARALLEL_FROM_EVENTS else 1)
    if shards == 1:
        return [ClickstreamStream(settings)]
    share, rest = divmod(settings.events, shards)
    return [ClickstreamStream(settings, seed=settings.seed * 1_000_003 + shard, events=share + (shard < rest))
            for shard in range(shards)]


def interleave(streams: list[Iterator[list[Row]]]) -> Iterator[list[Row]]:
    """One batch of each stream in turn until all are done (the order the sinks write them in)."""
    active = list(streams)
    while active:
        for stream in list(active):
            batch = next(stream, None)
            if batch is None:
                active.remove(stream)
            else:
                yield batch


def stream_rows(settings: GeneratorSettings) -> Iterator[list[Row]]:
    """``settings.events`` rows as batches, in one process: each batch and each party in time order."""
    check_row_fields()
    return interleave([stream.batches() for stream in shard_streams(settings)])


def as_records(rows: list[Row]) -> list[dict[str, Any]]:
    """Rows as dicts keyed by the Avro field names."""
    return [dict(zip(ROW_FIELDS, row)) for row in rows]


def generate_events(settings: GeneratorSettings, progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """``settings.events`` Divolte event records, sorted by time: the whole stream in memory (small sizes)."""
    rows: list[Row] = []
    for batch in stream_rows(settings):
        rows.extend(batch)
        if progress:
            progress(len(rows), settings.events)
    rows.sort(key=itemgetter(TIMESTAMP, PARTY))
    return as_records(rows)


def live_events(rng: random.Random, now: datetime, clicks: int) -> list[dict[str, Any]]:
    """One fresh session ending at ``now``: a home page view and ``clicks`` logo clicks.

    This is the demo's trickle: what visitors clicking logos would send while
    someone watches the dashboard.
    """
    browsing = _Browsing(random.Random(rng.randrange(2**31)))
    now_ms = epoch_ms(now)
    start_ms = now_ms - clicks * 1000
    writer = _SessionWriter(browsing.new_party(start_ms, robots=False), browsing.ids.make(start_ms), start_ms,
                            browsing.ids)
    writer.page_view("/", None, None)
    for _ in range(clicks):
        writer.advance(1000)
        writer.emit("click", technology=_pick(browsing.rng, TECHNOLOGIES, TECHNOLOGY_CUMULATIVE))
    return as_records(writer.rows)
