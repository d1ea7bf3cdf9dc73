from movierec.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Driver(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DRIVER_UNSPECIFIED: _ClassVar[Driver]
    DRIVER_INPUTS: _ClassVar[Driver]
    DRIVER_GENRE: _ClassVar[Driver]
    DRIVER_POPULARITY: _ClassVar[Driver]
DRIVER_UNSPECIFIED: Driver
DRIVER_INPUTS: Driver
DRIVER_GENRE: Driver
DRIVER_POPULARITY: Driver

class LikedMovie(_message.Message):
    __slots__ = ("movie_id", "rating")
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    movie_id: int
    rating: float
    def __init__(self, movie_id: _Optional[int] = ..., rating: _Optional[float] = ...) -> None: ...

class RecommendRequest(_message.Message):
    __slots__ = ("liked", "top_k", "alpha", "exclude_movie_ids", "genres", "year_min", "year_max", "skip_unknown_liked", "diversity", "include_inputs")
    LIKED_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_MOVIE_IDS_FIELD_NUMBER: _ClassVar[int]
    GENRES_FIELD_NUMBER: _ClassVar[int]
    YEAR_MIN_FIELD_NUMBER: _ClassVar[int]
    YEAR_MAX_FIELD_NUMBER: _ClassVar[int]
    SKIP_UNKNOWN_LIKED_FIELD_NUMBER: _ClassVar[int]
    DIVERSITY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INPUTS_FIELD_NUMBER: _ClassVar[int]
    liked: _containers.RepeatedCompositeFieldContainer[LikedMovie]
    top_k: int
    alpha: float
    exclude_movie_ids: _containers.RepeatedScalarFieldContainer[int]
    genres: _containers.RepeatedScalarFieldContainer[str]
    year_min: int
    year_max: int
    skip_unknown_liked: bool
    diversity: float
    include_inputs: bool
    def __init__(self, liked: _Optional[_Iterable[_Union[LikedMovie, _Mapping]]] = ..., top_k: _Optional[int] = ..., alpha: _Optional[float] = ..., exclude_movie_ids: _Optional[_Iterable[int]] = ..., genres: _Optional[_Iterable[str]] = ..., year_min: _Optional[int] = ..., year_max: _Optional[int] = ..., skip_unknown_liked: _Optional[bool] = ..., diversity: _Optional[float] = ..., include_inputs: _Optional[bool] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("movie_id", "title", "share")
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    movie_id: int
    title: str
    share: float
    def __init__(self, movie_id: _Optional[int] = ..., title: _Optional[str] = ..., share: _Optional[float] = ...) -> None: ...

class ScoredMovie(_message.Message):
    __slots__ = ("movie", "score", "collaborative", "content", "because", "driver", "genre_share", "popularity_share")
    MOVIE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COLLABORATIVE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    BECAUSE_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    GENRE_SHARE_FIELD_NUMBER: _ClassVar[int]
    POPULARITY_SHARE_FIELD_NUMBER: _ClassVar[int]
    movie: _common_pb2.Movie
    score: float
    collaborative: float
    content: float
    because: _containers.RepeatedCompositeFieldContainer[Reason]
    driver: Driver
    genre_share: float
    popularity_share: float
    def __init__(self, movie: _Optional[_Union[_common_pb2.Movie, _Mapping]] = ..., score: _Optional[float] = ..., collaborative: _Optional[float] = ..., content: _Optional[float] = ..., because: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., driver: _Optional[_Union[Driver, str]] = ..., genre_share: _Optional[float] = ..., popularity_share: _Optional[float] = ...) -> None: ...

class RecommendResponse(_message.Message):
    __slots__ = ("recommendations", "model_version", "alpha", "inputs")
    RECOMMENDATIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    recommendations: _containers.RepeatedCompositeFieldContainer[ScoredMovie]
    model_version: str
    alpha: float
    inputs: _containers.RepeatedCompositeFieldContainer[_common_pb2.Movie]
    def __init__(self, recommendations: _Optional[_Iterable[_Union[ScoredMovie, _Mapping]]] = ..., model_version: _Optional[str] = ..., alpha: _Optional[float] = ..., inputs: _Optional[_Iterable[_Union[_common_pb2.Movie, _Mapping]]] = ...) -> None: ...

class PredictRatingRequest(_message.Message):
    __slots__ = ("user_id", "movie_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    movie_id: int
    def __init__(self, user_id: _Optional[int] = ..., movie_id: _Optional[int] = ...) -> None: ...

class PredictRatingResponse(_message.Message):
    __slots__ = ("predicted_rating", "model_version")
    PREDICTED_RATING_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    predicted_rating: float
    model_version: str
    def __init__(self, predicted_rating: _Optional[float] = ..., model_version: _Optional[str] = ...) -> None: ...

class SimilarMoviesRequest(_message.Message):
    __slots__ = ("movie_id", "k", "alpha")
    MOVIE_ID_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    movie_id: int
    k: int
    alpha: float
    def __init__(self, movie_id: _Optional[int] = ..., k: _Optional[int] = ..., alpha: _Optional[float] = ...) -> None: ...

class SimilarMoviesResponse(_message.Message):
    __slots__ = ("movie", "similar", "model_version")
    MOVIE_FIELD_NUMBER: _ClassVar[int]
    SIMILAR_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    movie: _common_pb2.Movie
    similar: _containers.RepeatedCompositeFieldContainer[ScoredMovie]
    model_version: str
    def __init__(self, movie: _Optional[_Union[_common_pb2.Movie, _Mapping]] = ..., similar: _Optional[_Iterable[_Union[ScoredMovie, _Mapping]]] = ..., model_version: _Optional[str] = ...) -> None: ...

class ModelInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("model_version", "dataset", "trained_at", "metrics", "params", "n_users", "n_movies", "n_ratings", "default_alpha", "version_lease_ms")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    TRAINED_AT_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    N_USERS_FIELD_NUMBER: _ClassVar[int]
    N_MOVIES_FIELD_NUMBER: _ClassVar[int]
    N_RATINGS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_ALPHA_FIELD_NUMBER: _ClassVar[int]
    VERSION_LEASE_MS_FIELD_NUMBER: _ClassVar[int]
    model_version: str
    dataset: str
    trained_at: str
    metrics: _containers.ScalarMap[str, float]
    params: _containers.ScalarMap[str, str]
    n_users: int
    n_movies: int
    n_ratings: int
    default_alpha: float
    version_lease_ms: int
    def __init__(self, model_version: _Optional[str] = ..., dataset: _Optional[str] = ..., trained_at: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ..., params: _Optional[_Mapping[str, str]] = ..., n_users: _Optional[int] = ..., n_movies: _Optional[int] = ..., n_ratings: _Optional[int] = ..., default_alpha: _Optional[float] = ..., version_lease_ms: _Optional[int] = ...) -> None: ...

class DatasetStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DatasetStats(_message.Message):
    __slots__ = ("model_version", "stats_json")
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATS_JSON_FIELD_NUMBER: _ClassVar[int]
    model_version: str
    stats_json: str
    def __init__(self, model_version: _Optional[str] = ..., stats_json: _Optional[str] = ...) -> None: ...

class RecommendBatchRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[RecommendRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[RecommendRequest, _Mapping]]] = ...) -> None: ...

class RecommendBatchResult(_message.Message):
    __slots__ = ("response", "code", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: RecommendResponse
    code: int
    error: str
    def __init__(self, response: _Optional[_Union[RecommendResponse, _Mapping]] = ..., code: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class RecommendBatchResponse(_message.Message):
    __slots__ = ("results", "model_version")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RecommendBatchResult]
    model_version: str
    def __init__(self, results: _Optional[_Iterable[_Union[RecommendBatchResult, _Mapping]]] = ..., model_version: _Optional[str] = ...) -> None: ...

class GetMoviesRequest(_message.Message):
    __slots__ = ("movie_ids",)
    MOVIE_IDS_FIELD_NUMBER: _ClassVar[int]
    movie_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, movie_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class GetMoviesResponse(_message.Message):
    __slots__ = ("movies", "model_version")
    MOVIES_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    movies: _containers.RepeatedCompositeFieldContainer[_common_pb2.Movie]
    model_version: str
    def __init__(self, movies: _Optional[_Iterable[_Union[_common_pb2.Movie, _Mapping]]] = ..., model_version: _Optional[str] = ...) -> None: ...

class ModelHistoryRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class GateFigures(_message.Message):
    __slots__ = ("rmse", "rmse_base", "rmse_app", "ndcg10", "recall10")
    RMSE_FIELD_NUMBER: _ClassVar[int]
    RMSE_BASE_FIELD_NUMBER: _ClassVar[int]
    RMSE_APP_FIELD_NUMBER: _ClassVar[int]
    NDCG10_FIELD_NUMBER: _ClassVar[int]
    RECALL10_FIELD_NUMBER: _ClassVar[int]
    rmse: float
    rmse_base: float
    rmse_app: float
    ndcg10: float
    recall10: float
    def __init__(self, rmse: _Optional[float] = ..., rmse_base: _Optional[float] = ..., rmse_app: _Optional[float] = ..., ndcg10: _Optional[float] = ..., recall10: _Optional[float] = ...) -> None: ...

class RetrainRun(_message.Message):
    __slots__ = ("time", "version", "promoted", "reason", "candidate", "serving_version", "serving", "ratings", "app_ratings", "app_accounts", "seconds")
    TIME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROMOTED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    SERVING_VERSION_FIELD_NUMBER: _ClassVar[int]
    SERVING_FIELD_NUMBER: _ClassVar[int]
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    APP_RATINGS_FIELD_NUMBER: _ClassVar[int]
    APP_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    time: str
    version: str
    promoted: bool
    reason: str
    candidate: GateFigures
    serving_version: str
    serving: GateFigures
    ratings: int
    app_ratings: int
    app_accounts: int
    seconds: float
    def __init__(self, time: _Optional[str] = ..., version: _Optional[str] = ..., promoted: _Optional[bool] = ..., reason: _Optional[str] = ..., candidate: _Optional[_Union[GateFigures, _Mapping]] = ..., serving_version: _Optional[str] = ..., serving: _Optional[_Union[GateFigures, _Mapping]] = ..., ratings: _Optional[int] = ..., app_ratings: _Optional[int] = ..., app_accounts: _Optional[int] = ..., seconds: _Optional[float] = ...) -> None: ...

class ModelHistory(_message.Message):
    __slots__ = ("runs", "model_version")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[RetrainRun]
    model_version: str
    def __init__(self, runs: _Optional[_Iterable[_Union[RetrainRun, _Mapping]]] = ..., model_version: _Optional[str] = ...) -> None: ...
