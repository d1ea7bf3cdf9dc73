"""Request and response models of the account endpoints (/auth/*, /me/*); limits are the profiles service's."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.gateway.schemas import Id, Number, RecommendResponse

# The profiles service's limits (protos/movierec/v1/profiles.proto); tests/gateway/test_accounts.py checks them.
USERNAME_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9._-]{2,31}\s*$"
PASSWORD_CHARS = (8, 128)
MAX_SIGNUP_RATINGS = 100
Rating = Field(ge=0.5, le=5.0, multiple_of=0.5, allow_inf_nan=False,
               description="0.5..5 in steps of 0.5 (MovieLens scale)")
MarkKind = Literal["seen", "not_interested"]


class MovieRating(BaseModel):
    movieId: Id
    rating: Number = Rating


class Credentials(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN, max_length=40,
                          description="3..32 characters of a-z, 0-9, '.', '_', '-'; case-insensitive")
    password: str = Field(min_length=PASSWORD_CHARS[0], max_length=PASSWORD_CHARS[1])


class SignUpRequest(Credentials):
    ratings: list[MovieRating] = Field(
        default_factory=list, max_length=MAX_SIGNUP_RATINGS,
        description="Ratings to start with, e.g. the list built before signing up.")


class LogInRequest(BaseModel):
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=PASSWORD_CHARS[1])


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=PASSWORD_CHARS[1])
    new_password: str = Field(min_length=PASSWORD_CHARS[0], max_length=PASSWORD_CHARS[1])


class AccountOut(BaseModel):
    account_id: int
    username: str
    created_at: str = Field(description="ISO 8601, UTC")
    n_ratings: int
    model_user_id: int = Field(description="This account's user id in models retrained with the app's ratings "
                                           "(POST /predict-rating); such a model may not exist yet.")


class SessionOut(BaseModel):
    account: AccountOut
    expires_at: str = Field(description="When the session ends (ISO 8601, UTC).")


class RatingIn(BaseModel):
    rating: Number = Rating


class RatingOut(BaseModel):
    movieId: int
    rating: float
    updated_at: str
    title: str | None = Field(None, description="null in a PUT's reply (no catalog lookup on the write path) and "
                                               "when the serving model does not know the movie")
    year: int | None = None


class RatingsOut(BaseModel):
    ratings: list[RatingOut] = Field(description="Most recently set first.")


class FeedbackIn(BaseModel):
    movieId: Id
    kind: MarkKind


class MarkOut(BaseModel):
    movieId: int
    kind: MarkKind
    created_at: str
    title: str | None = None
    year: int | None = None


class MarksOut(BaseModel):
    marks: list[MarkOut] = Field(description="Most recent first.")


class RemovedOut(BaseModel):
    removed: bool = Field(description="false when there was nothing to remove")


class SignedOutOut(BaseModel):
    signed_out: bool


class EventOut(BaseModel):
    event_id: int
    at: str
    kind: Literal["account_created", "rating_set", "rating_removed", "mark_set", "mark_removed"]
    movieId: int | None
    rating: float | None
    mark: MarkKind | None


class SessionInfoOut(BaseModel):
    created_at: str
    expires_at: str


class ExportOut(BaseModel):
    account: AccountOut
    ratings: list[RatingOut]
    marks: list[MarkOut]
    events: list[EventOut] = Field(description="The feedback log, oldest first.")
    events_truncated: bool
    sessions: list[SessionInfoOut]


class DeletedOut(BaseModel):
    deleted: dict[str, int] = Field(description="Rows removed: ratings, marks, events, sessions.")


class PersonalRecommendResponse(RecommendResponse):
    """The /recommend/titles shape; input_movies are the rated movies the fold-in used."""
