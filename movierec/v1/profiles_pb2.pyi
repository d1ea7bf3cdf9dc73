from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignUpRequest(_message.Message):
    __slots__ = ("username", "password", "initial_ratings")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    INITIAL_RATINGS_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    initial_ratings: _containers.RepeatedCompositeFieldContainer[RatingInput]
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ..., initial_ratings: _Optional[_Iterable[_Union[RatingInput, _Mapping]]] = ...) -> None: ...

class RatingInput(_message.Message):
    __slots__ = ("movie_id", "rating")
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    movie_id: int
    rating: float
    def __init__(self, movie_id: _Optional[int] = ..., rating: _Optional[float] = ...) -> None: ...

class LogInRequest(_message.Message):
    __slots__ = ("username", "password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class ChangePasswordRequest(_message.Message):
    __slots__ = ("session_token", "current_password", "new_password")
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    session_token: str
    current_password: str
    new_password: str
    def __init__(self, session_token: _Optional[str] = ..., current_password: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("token", "expires_at_ms", "account")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    token: str
    expires_at_ms: int
    account: Account
    def __init__(self, token: _Optional[str] = ..., expires_at_ms: _Optional[int] = ..., account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class SessionRequest(_message.Message):
    __slots__ = ("session_token",)
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    session_token: str
    def __init__(self, session_token: _Optional[str] = ...) -> None: ...

class LogOutResponse(_message.Message):
    __slots__ = ("revoked",)
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    revoked: bool
    def __init__(self, revoked: _Optional[bool] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("account_id", "username", "created_at_ms", "n_ratings")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    N_RATINGS_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    username: str
    created_at_ms: int
    n_ratings: int
    def __init__(self, account_id: _Optional[int] = ..., username: _Optional[str] = ..., created_at_ms: _Optional[int] = ..., n_ratings: _Optional[int] = ...) -> None: ...

class Rating(_message.Message):
    __slots__ = ("movie_id", "rating", "updated_at_ms")
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    movie_id: int
    rating: float
    updated_at_ms: int
    def __init__(self, movie_id: _Optional[int] = ..., rating: _Optional[float] = ..., updated_at_ms: _Optional[int] = ...) -> None: ...

class Mark(_message.Message):
    __slots__ = ("movie_id", "kind", "created_at_ms")
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    movie_id: int
    kind: str
    created_at_ms: int
    def __init__(self, movie_id: _Optional[int] = ..., kind: _Optional[str] = ..., created_at_ms: _Optional[int] = ...) -> None: ...

class Profile(_message.Message):
    __slots__ = ("account", "ratings", "marks")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    account: Account
    ratings: _containers.RepeatedCompositeFieldContainer[Rating]
    marks: _containers.RepeatedCompositeFieldContainer[Mark]
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ..., ratings: _Optional[_Iterable[_Union[Rating, _Mapping]]] = ..., marks: _Optional[_Iterable[_Union[Mark, _Mapping]]] = ...) -> None: ...

class PutRatingRequest(_message.Message):
    __slots__ = ("session_token", "movie_id", "rating")
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    session_token: str
    movie_id: int
    rating: float
    def __init__(self, session_token: _Optional[str] = ..., movie_id: _Optional[int] = ..., rating: _Optional[float] = ...) -> None: ...

class MovieRequest(_message.Message):
    __slots__ = ("session_token", "movie_id")
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    session_token: str
    movie_id: int
    def __init__(self, session_token: _Optional[str] = ..., movie_id: _Optional[int] = ...) -> None: ...

class MarkRequest(_message.Message):
    __slots__ = ("session_token", "movie_id", "kind")
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    session_token: str
    movie_id: int
    kind: str
    def __init__(self, session_token: _Optional[str] = ..., movie_id: _Optional[int] = ..., kind: _Optional[str] = ...) -> None: ...

class DeleteResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: bool
    def __init__(self, removed: _Optional[bool] = ...) -> None: ...

class FeedbackEvent(_message.Message):
    __slots__ = ("event_id", "at_ms", "kind", "movie_id", "rating", "mark")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    MARK_FIELD_NUMBER: _ClassVar[int]
    event_id: int
    at_ms: int
    kind: str
    movie_id: int
    rating: float
    mark: str
    def __init__(self, event_id: _Optional[int] = ..., at_ms: _Optional[int] = ..., kind: _Optional[str] = ..., movie_id: _Optional[int] = ..., rating: _Optional[float] = ..., mark: _Optional[str] = ...) -> None: ...

class SessionInfo(_message.Message):
    __slots__ = ("created_at_ms", "expires_at_ms")
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    created_at_ms: int
    expires_at_ms: int
    def __init__(self, created_at_ms: _Optional[int] = ..., expires_at_ms: _Optional[int] = ...) -> None: ...

class AccountExport(_message.Message):
    __slots__ = ("account", "ratings", "marks", "events", "events_truncated", "sessions")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    account: Account
    ratings: _containers.RepeatedCompositeFieldContainer[Rating]
    marks: _containers.RepeatedCompositeFieldContainer[Mark]
    events: _containers.RepeatedCompositeFieldContainer[FeedbackEvent]
    events_truncated: bool
    sessions: _containers.RepeatedCompositeFieldContainer[SessionInfo]
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ..., ratings: _Optional[_Iterable[_Union[Rating, _Mapping]]] = ..., marks: _Optional[_Iterable[_Union[Mark, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[FeedbackEvent, _Mapping]]] = ..., events_truncated: _Optional[bool] = ..., sessions: _Optional[_Iterable[_Union[SessionInfo, _Mapping]]] = ...) -> None: ...

class DeleteAccountResponse(_message.Message):
    __slots__ = ("ratings", "marks", "events", "sessions", "account_id")
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ratings: int
    marks: int
    events: int
    sessions: int
    account_id: int
    def __init__(self, ratings: _Optional[int] = ..., marks: _Optional[int] = ..., events: _Optional[int] = ..., sessions: _Optional[int] = ..., account_id: _Optional[int] = ...) -> None: ...

class AppStatsRequest(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: int
    def __init__(self, days: _Optional[int] = ...) -> None: ...

class DayCount(_message.Message):
    __slots__ = ("day", "count")
    DAY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    day: str
    count: int
    def __init__(self, day: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class AppStats(_message.Message):
    __slots__ = ("accounts", "active_accounts_1d", "active_accounts_7d", "active_accounts_30d", "ratings_per_day", "rating_histogram", "ratings")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ACCOUNTS_1D_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ACCOUNTS_7D_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ACCOUNTS_30D_FIELD_NUMBER: _ClassVar[int]
    RATINGS_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    RATING_HISTOGRAM_FIELD_NUMBER: _ClassVar[int]
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    accounts: int
    active_accounts_1d: int
    active_accounts_7d: int
    active_accounts_30d: int
    ratings_per_day: _containers.RepeatedCompositeFieldContainer[DayCount]
    rating_histogram: _containers.RepeatedScalarFieldContainer[int]
    ratings: int
    def __init__(self, accounts: _Optional[int] = ..., active_accounts_1d: _Optional[int] = ..., active_accounts_7d: _Optional[int] = ..., active_accounts_30d: _Optional[int] = ..., ratings_per_day: _Optional[_Iterable[_Union[DayCount, _Mapping]]] = ..., rating_histogram: _Optional[_Iterable[int]] = ..., ratings: _Optional[int] = ...) -> None: ...
