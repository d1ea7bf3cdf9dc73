"""Hypothesis strategies for any protobuf message, built from its descriptor (extremes, unicode, huge lists)."""
from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

F = FieldDescriptor
_INT32 = st.one_of(st.sampled_from([0, 1, -1, 2**31 - 1, -(2**31)]), st.integers(-(2**31), 2**31 - 1))
_INT64 = st.one_of(st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63)]), st.integers(-(2**63), 2**63 - 1))
_FLOAT = st.one_of(st.sampled_from([0.0, -0.0, 1.0, float("nan"), float("inf"), float("-inf"), 3.4e38]),
                   st.floats(width=32))
# Empty, ordinary, any unicode (surrogates excluded: protobuf strings are UTF-8) and huge.
_TEXT = st.one_of(st.just(""), st.text(max_size=30), st.text(st.characters(exclude_categories=["Cs"]), max_size=200),
                  st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "🎬", " "]), st.integers(1000, 100_000)))


def _scalar(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if field.type == F.TYPE_MESSAGE:
        return message_dicts(field.message_type, depth + 1)
    if field.type in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32, F.TYPE_ENUM):
        return _INT32
    if field.type in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
        return _INT64
    if field.type in (F.TYPE_UINT32, F.TYPE_FIXED32):
        return st.integers(0, 2**32 - 1)
    if field.type in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return st.integers(0, 2**64 - 1)
    if field.type in (F.TYPE_FLOAT, F.TYPE_DOUBLE):
        return _FLOAT
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type == F.TYPE_BYTES:
        return st.binary(max_size=100)
    return _TEXT


def message_dicts(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Field name -> value for a message; any field may be absent, lists empty, short or huge."""
    fields = {}
    for field in descriptor.fields:
        value = _scalar(field, depth)
        if field.is_repeated:
            small = st.lists(value, max_size=5 if depth else 30)
            # a huge list of a cheap element (not of nested huge strings: the wire limit is 4 MB)
            huge = st.lists(_scalar(field, depth) if field.type != F.TYPE_STRING else st.text(max_size=3),
                            min_size=10_000, max_size=20_000) if depth == 0 and field.type != F.TYPE_MESSAGE \
                else st.nothing()
            value = st.one_of(small, huge)
        fields[field.name] = value
    if depth > 2:
        return st.just({})
    return st.fixed_dictionaries({}, optional=fields)


def messages(descriptor: Descriptor) -> st.SearchStrategy[Message]:
    """Messages of `descriptor`'s type with the generated field values."""
    cls = GetMessageClass(descriptor)

    def build(values: dict[str, Any]) -> Message:
        message = cls()
        _fill(message, values)
        return message

    return message_dicts(descriptor).map(build)


def _fill(message: Message, values: dict[str, Any]) -> None:
    for name, value in values.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        if field.is_repeated:
            if field.type == F.TYPE_MESSAGE:
                for item in value:
                    _fill(getattr(message, name).add(), item)
            else:
                getattr(message, name).extend(value)
        elif field.type == F.TYPE_MESSAGE:
            _fill(getattr(message, name), value)
            getattr(message, name).SetInParent()
        else:
            setattr(message, name, value)
