"""Write clickstream events to Kafka exactly as Divolte's Kafka sink does.

Divolte's sink writes one Kafka record per event: the value is the event as plain
Avro binary (no container header, no schema-registry prefix), the key is the party
id in UTF-8, and the record timestamp is the event time. Events here are dicts whose
keys are the field names of ``superset_divolte/schema/clickstream.avsc``, with
timestamps as epoch-millisecond ints.

Success is reported only after the broker confirmed every record (idempotent
producer, acks=all); anything less raises KafkaDeliveryError.
"""

from __future__ import annotations

import io
import time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sized

import fastavro
from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from superset_divolte.event_schema import ID_FIELDS, TIME_FIELD, EventField, avro_schema, event_fields

Progress = Callable[[int, int], None]
"""(records confirmed, records in all) callback, as superset_divolte.progress.ProgressPrinter."""
FLUSH_TIMEOUT = 300.0  # seconds; also librdkafka's default message.timeout.ms


class KafkaDeliveryError(RuntimeError):
    """Not every record was confirmed by the broker."""


def load_schema() -> dict[str, Any]:
    """The parsed clickstream Avro schema (fastavro form)."""
    return fastavro.parse_schema(avro_schema())


def encode_event(event: dict[str, Any], schema: dict[str, Any]) -> bytes:
    """Plain Avro binary of one event, as Divolte writes it."""
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, event)
    return buffer.getvalue()


def decode_event(data: bytes, schema: dict[str, Any]) -> dict[str, Any]:
    """Inverse of encode_event; timestamp-millis fields come back as epoch-millis ints."""
    record = fastavro.schemaless_reader(io.BytesIO(data), schema, schema)
    return {k: _millis(v) if isinstance(v, datetime) else v for k, v in record.items()}


def ensure_topic(bootstrap: str, topic: str, partitions: int = 1, timeout: float = 30.0) -> bool:
    """Create topic unless it exists; True if it was created."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=timeout).topics:
        return False
    future = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic]
    try:
        future.result(timeout=timeout)
    except KafkaException as error:
        if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
        return False
    return True


def produce_records(bootstrap: str, topic: str, events: Iterable[dict[str, Any]],
                    progress: Progress | None = None, config: dict[str, Any] | None = None) -> int:
    """Write events to topic the way Divolte does; return how many the broker confirmed (all, or raise)."""
    schema = load_schema()
    total = len(events) if isinstance(events, Sized) else 0
    records = ((encode_event(e, schema), _key(e), int(e["timestamp"])) for e in events)
    return _produce(bootstrap, topic, records, total, progress, config)


def broker_answers(bootstrap: str, timeout: float) -> bool:
    """True if a broker at ``bootstrap`` answers a metadata request within ``timeout`` seconds."""
    # log_level 0: the answer is the result; librdkafka's connection-refused lines would only repeat it.
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0,
                         "socket.connection.setup.timeout.ms": int(timeout * 1000)})
    try:
        admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return True


def encode_rows(rows: Iterable[tuple[Any, ...]], fields: tuple[str, ...]) -> list[tuple[bytes, bytes, int]]:
    """(value, key, timestamp) Kafka records of generated rows (tuples in ``fields`` order), as Divolte writes them.

    The values are the same bytes ``encode_event`` gives (a test holds them equal);
    encoding a row straight from its fields, with each run of repetitive fields (the
    user agent, the page, the campaign) encoded once per distinct run of values, is
    many times faster than a dict per row through fastavro, which was the bottleneck
    of the Kafka sink.
    """
    parts = _row_parts(fields)
    party, moment = fields.index("partyId"), fields.index("timestamp")
    join = b"".join
    return [(join([encode(row) for encode in parts]), row[party].encode(), row[moment]) for row in rows]


def _varint(number: int) -> bytes:
    """Avro's zig-zag variable-length encoding of an int or long."""
    number = (number << 1) ^ (number >> 63)
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _string(value: str) -> bytes:
    data = value.encode()
    return _varint(len(data)) + data


_REPEATED_RUNS = 20_000
"""Distinct values a run of fields may have before its encodings stop being remembered."""
UNIQUE_FIELDS = ID_FIELDS | {TIME_FIELD, "clientTimestamp"}
"""Fields whose values hardly repeat: encoded afresh in every row, never remembered."""
RUN_ALONE_FIELDS = frozenset({"remoteHost"})
"""Repetitive fields remembered on their own: with their neighbours they would make too many distinct runs."""


def _field_encoder(field: EventField) -> Callable[[Any], bytes]:
    """Encoder of one field's value; nullable fields are Avro unions ["null", type]."""
    if field.avro_type == "boolean":
        plain: Callable[[Any], bytes] = lambda value: b"\x01" if value else b"\x00"  # noqa: E731
    elif field.avro_type in ("int", "long"):
        plain = _varint
    elif field.avro_type == "string":
        plain = _string
    else:
        raise AssertionError(f"no encoder for Avro type {field.avro_type} of {field.name}")
    return (lambda value: b"\x00" if value is None else b"\x02" + plain(value)) if field.nullable else plain


def _unique_part(encode: Callable[[Any], bytes], index: int) -> Callable[[tuple[Any, ...]], bytes]:
    return lambda row: encode(row[index])


def _remembered_part(encoders: tuple[Callable[[Any], bytes], ...], start: int) -> Callable[[tuple[Any, ...]], bytes]:
    """Encoder of the run of fields from ``start``, remembering the bytes of each distinct run of values."""
    stop = start + len(encoders)
    remembered: dict[tuple[Any, ...], bytes] = {}

    def encode_run(row: tuple[Any, ...]) -> bytes:
        values = row[start:stop]
        known = remembered.get(values)
        if known is None:
            known = b"".join([encode(value) for encode, value in zip(encoders, values)])
            if len(remembered) < _REPEATED_RUNS:
                remembered[values] = known
        return known

    return encode_run


@lru_cache(maxsize=4)
def _row_parts(fields: tuple[str, ...]) -> tuple[Callable[[tuple[Any, ...]], bytes], ...]:
    """Encoders of a row's parts, in order: each unique field alone, each run of the other fields together."""
    declared = {field.name: field for field in event_fields()}
    if tuple(declared) != fields:
        raise AssertionError(f"rows do not follow the schema's field order: {fields}")
    parts: list[Callable[[tuple[Any, ...]], bytes]] = []
    run: list[Callable[[Any], bytes]] = []
    for index, name in enumerate(fields):
        encode = _field_encoder(declared[name])
        if name not in UNIQUE_FIELDS and name not in RUN_ALONE_FIELDS:
            run.append(encode)
            continue
        if run:
            parts.append(_remembered_part(tuple(run), index - len(run)))
            run = []
        parts.append(_remembered_part((encode,), index) if name in RUN_ALONE_FIELDS else _unique_part(encode, index))
    if run:
        parts.append(_remembered_part(tuple(run), len(fields) - len(run)))
    return tuple(parts)


class BatchProducer:
    """Writes encoded records to a topic; ``confirm`` waits until the broker confirmed all produced so far."""

    def __init__(self, bootstrap: str, topic: str, config: dict[str, Any] | None = None) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.producer = Producer(producer_config(bootstrap, {"linger.ms": 50, "batch.num.messages": 10_000,
                                                             "compression.type": "lz4", **(config or {})}))
        self.tally = _Tally()
        self.confirmed = 0

    def produce(self, records: Iterable[tuple[bytes, bytes, int]]) -> None:
        """Hand records to librdkafka (waiting for room in its queue when full)."""
        producer, topic, tally = self.producer, self.topic, self.tally
        for value, key, timestamp in records:
            _produce_one(producer, topic, value, key, timestamp, tally)
            tally.sent += 1

    def confirm(self) -> int:
        """Wait until every record produced so far is confirmed (or raise); returns how many are, in all."""
        tally = self.tally
        _flush(self.producer, tally, tally.sent, None)
        if tally.errors or tally.delivered != tally.sent:
            raise KafkaDeliveryError(
                f"kafka {self.bootstrap} topic {self.topic}: {tally.delivered} of {tally.sent} records "
                f"confirmed; first errors: {tally.errors[:3]}")
        self.confirmed = tally.delivered
        return self.confirmed


def produce_raw(bootstrap: str, topic: str, payloads: Iterable[bytes], key: bytes | None = None,
                progress: Progress | None = None) -> int:
    """Write arbitrary bytes as record values (e.g. garbage for the bad-input test); return count confirmed."""
    now = int(time.time() * 1000)
    total = len(payloads) if isinstance(payloads, Sized) else 0
    return _produce(bootstrap, topic, ((p, key, now) for p in payloads), total, progress, None)


def producer_config(bootstrap: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """librdkafka settings: no loss, no duplicates, on broker restarts too."""
    return {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,  # retries never duplicate or reorder
        "acks": "all",
        "linger.ms": 20,
        "message.timeout.ms": int(FLUSH_TIMEOUT * 1000),
        **(extra or {}),
    }


def _produce(bootstrap: str, topic: str, records: Iterator[tuple[bytes, bytes | None, int]], total: int,
             progress: Progress | None, config: dict[str, Any] | None) -> int:
    """Produce (value, key, timestamp) records, wait for every delivery report, check the tally."""
    producer = Producer(producer_config(bootstrap, config))
    tally = _Tally()
    last = time.monotonic()
    for value, key, timestamp in records:
        _produce_one(producer, topic, value, key, timestamp, tally)
        tally.sent += 1
        if progress and time.monotonic() - last >= 2:
            progress(tally.delivered, total)
            last = time.monotonic()
    _flush(producer, tally, total, progress)
    if tally.errors or tally.delivered != tally.sent:
        raise KafkaDeliveryError(
            f"kafka {bootstrap} topic {topic}: {tally.delivered} of {tally.sent} records confirmed; "
            f"first errors: {tally.errors[:3]}")
    if progress:
        progress(tally.delivered, tally.sent)
    return tally.delivered


class _Tally:
    """Delivery reports, counted."""

    def __init__(self) -> None:
        self.sent = 0
        self.delivered = 0
        self.errors: list[str] = []

    def report(self, error: KafkaError | None, message: Message) -> None:
        """on_delivery callback."""
        if error is None:
            self.delivered += 1
        else:
            self.errors.append(str(error))


def _produce_one(producer: Producer, topic: str, value: bytes, key: bytes | None, timestamp: int,
                 tally: _Tally) -> None:
    """produce(), waiting for room when librdkafka's local queue is full."""
    while True:
        try:
            producer.produce(topic, value=value, key=key, timestamp=timestamp, on_delivery=tally.report)
            producer.poll(0)
            return
        except BufferError:
            producer.poll(0.5)  # delivery reports free queue space


def _flush(producer: Producer, tally: _Tally, total: int, progress: Progress | None) -> None:
    """Wait for the outstanding deliveries, reporting now and then, up to FLUSH_TIMEOUT."""
    deadline = time.monotonic() + FLUSH_TIMEOUT
    while True:
        remaining = producer.flush(5)
        if remaining == 0:
            return
        if time.monotonic() >= deadline:
            tally.errors.append(f"{remaining} records still unconfirmed after {FLUSH_TIMEOUT:.0f} s")
            return
        if progress:
            progress(tally.delivered, total or tally.sent)


def _key(event: dict[str, Any]) -> bytes | None:
    party = event.get("partyId")
    return party.encode("utf-8") if party is not None else None


def _millis(value: datetime) -> int:
    """Epoch millis of an aware datetime (fastavro returns UTC-aware ones)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    delta = value - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
