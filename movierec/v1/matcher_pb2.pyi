from movierec.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ResolveRequest(_message.Message):
    __slots__ = ("queries", "max_alternatives")
    QUERIES_FIELD_NUMBER: _ClassVar[int]
    MAX_ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    queries: _containers.RepeatedScalarFieldContainer[str]
    max_alternatives: int
    def __init__(self, queries: _Optional[_Iterable[str]] = ..., max_alternatives: _Optional[int] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("movie", "confidence")
    MOVIE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    movie: _common_pb2.Movie
    confidence: float
    def __init__(self, movie: _Optional[_Union[_common_pb2.Movie, _Mapping]] = ..., confidence: _Optional[float] = ...) -> None: ...

class Resolution(_message.Message):
    __slots__ = ("query", "matched", "best", "alternatives")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    BEST_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    query: str
    matched: bool
    best: Candidate
    alternatives: _containers.RepeatedCompositeFieldContainer[Candidate]
    def __init__(self, query: _Optional[str] = ..., matched: _Optional[bool] = ..., best: _Optional[_Union[Candidate, _Mapping]] = ..., alternatives: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ...) -> None: ...

class ResolveResponse(_message.Message):
    __slots__ = ("results", "catalog_version")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[Resolution]
    catalog_version: str
    def __init__(self, results: _Optional[_Iterable[_Union[Resolution, _Mapping]]] = ..., catalog_version: _Optional[str] = ...) -> None: ...

class SuggestRequest(_message.Message):
    __slots__ = ("prefix", "limit")
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    prefix: str
    limit: int
    def __init__(self, prefix: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class SuggestResponse(_message.Message):
    __slots__ = ("suggestions", "catalog_version")
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    suggestions: _containers.RepeatedCompositeFieldContainer[Candidate]
    catalog_version: str
    def __init__(self, suggestions: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., catalog_version: _Optional[str] = ...) -> None: ...
