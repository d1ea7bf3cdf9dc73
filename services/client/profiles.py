"""Typed client of movierec.v1.Profiles: accounts, sessions, ratings, marks, export, app statistics."""
from __future__ import annotations

from collections.abc import Iterable

from movierec.v1 import profiles_pb2, profiles_pb2_grpc
from services.client.base import ServiceClient
from services.client.retry import NO_RETRY

# A full export (up to 100,000 events plus 20,000 ratings and marks) is larger than gRPC's 4 MB default.
MAX_RECEIVE_BYTES = 64 * 1024 * 1024


class ProfilesClient(ServiceClient):
    """`ProfilesClient("127.0.0.1:50053")`; every method is one RPC (see protos/movierec/v1/profiles.proto).

    Reads and the idempotent writes (put/delete of ratings and marks, log-out, account deletion) are
    retried on UNAVAILABLE like every other client call; sign-up and log-in are sent once (NO_RETRY):
    a retried sign-up could meet the account its first attempt created.
    """

    service = "profiles"
    service_name = profiles_pb2.DESCRIPTOR.services_by_name["Profiles"].full_name
    channel_options = (("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),)

    def __init__(self, address: str, **options) -> None:
        super().__init__(address, **options)
        self.stub = profiles_pb2_grpc.ProfilesStub(self.channel)

    async def sign_up(self, username: str, password: str, initial_ratings: Iterable[tuple[int, float]] = (), *,
                      request_id: str | None = None) -> profiles_pb2.Session:
        """A new account and session; `initial_ratings` are (movie_id, rating) pairs stored with it."""
        request = profiles_pb2.SignUpRequest(username=username, password=password, initial_ratings=[
            profiles_pb2.RatingInput(movie_id=m, rating=r) for m, r in initial_ratings])
        return await self.call("SignUp", self.stub.SignUp, request, request_id=request_id, retry=NO_RETRY)

    async def log_in(self, username: str, password: str, *, request_id: str | None = None) -> profiles_pb2.Session:
        request = profiles_pb2.LogInRequest(username=username, password=password)
        return await self.call("LogIn", self.stub.LogIn, request, request_id=request_id, retry=NO_RETRY)

    async def change_password(self, token: str, current_password: str, new_password: str, *,
                              request_id: str | None = None) -> profiles_pb2.Session:
        """The account's only session after the change (every other one, this token's too, has ended)."""
        request = profiles_pb2.ChangePasswordRequest(session_token=token, current_password=current_password,
                                                     new_password=new_password)
        return await self.call("ChangePassword", self.stub.ChangePassword, request, request_id=request_id,
                               retry=NO_RETRY)

    async def log_out(self, token: str, *, request_id: str | None = None) -> profiles_pb2.LogOutResponse:
        return await self.call("LogOut", self.stub.LogOut, profiles_pb2.SessionRequest(session_token=token),
                               request_id=request_id)

    async def account(self, token: str, *, request_id: str | None = None) -> profiles_pb2.Account:
        return await self.call("GetAccount", self.stub.GetAccount, profiles_pb2.SessionRequest(session_token=token),
                               request_id=request_id)

    async def profile(self, token: str, *, request_id: str | None = None) -> profiles_pb2.Profile:
        return await self.call("GetProfile", self.stub.GetProfile, profiles_pb2.SessionRequest(session_token=token),
                               request_id=request_id)

    async def put_rating(self, token: str, movie_id: int, rating: float, *,
                         request_id: str | None = None) -> profiles_pb2.Rating:
        request = profiles_pb2.PutRatingRequest(session_token=token, movie_id=movie_id, rating=rating)
        return await self.call("PutRating", self.stub.PutRating, request, request_id=request_id)

    async def delete_rating(self, token: str, movie_id: int, *,
                            request_id: str | None = None) -> profiles_pb2.DeleteResponse:
        request = profiles_pb2.MovieRequest(session_token=token, movie_id=movie_id)
        return await self.call("DeleteRating", self.stub.DeleteRating, request, request_id=request_id)

    async def put_mark(self, token: str, movie_id: int, kind: str, *,
                       request_id: str | None = None) -> profiles_pb2.Mark:
        request = profiles_pb2.MarkRequest(session_token=token, movie_id=movie_id, kind=kind)
        return await self.call("PutMark", self.stub.PutMark, request, request_id=request_id)

    async def delete_mark(self, token: str, movie_id: int, kind: str, *,
                          request_id: str | None = None) -> profiles_pb2.DeleteResponse:
        request = profiles_pb2.MarkRequest(session_token=token, movie_id=movie_id, kind=kind)
        return await self.call("DeleteMark", self.stub.DeleteMark, request, request_id=request_id)

    async def export(self, token: str, *, request_id: str | None = None) -> profiles_pb2.AccountExport:
        return await self.call("ExportAccount", self.stub.ExportAccount,
                               profiles_pb2.SessionRequest(session_token=token), request_id=request_id)

    async def delete_account(self, token: str, *,
                             request_id: str | None = None) -> profiles_pb2.DeleteAccountResponse:
        return await self.call("DeleteAccount", self.stub.DeleteAccount,
                               profiles_pb2.SessionRequest(session_token=token), request_id=request_id)

    async def app_stats(self, days: int = 0, *, request_id: str | None = None) -> profiles_pb2.AppStats:
        return await self.call("GetAppStats", self.stub.GetAppStats, profiles_pb2.AppStatsRequest(days=days),
                               request_id=request_id)
