"""API users: ``/api/v1/users`` (admin) and ``/api/v1/users/me`` (anyone with a key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from api.deps import CurrentActor, CurrentUser, UserStoreDep
from api.schemas.errors import error_responses
from api.schemas.users import UserCreate, UserIssued, UserPublic, UsersPublic, WhoAmIPublic
from services.users import UserService

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=error_responses(401, 403, 429))

def _service(store) -> UserService:
    """The user service on the app's store (its key pepper included)."""
    return UserService(store.database, store=store)


UserName = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")]


@router.get("/me", response_model=WhoAmIPublic, summary="Who the key belongs to (viewer)")
async def who_am_i(user: CurrentUser) -> WhoAmIPublic:
    return WhoAmIPublic(name=user.name, role=user.role, key_id=user.key_id)


@router.get("", response_model=UsersPublic, summary="Every user, revoked ones included (admin)")
def list_users(actor: CurrentActor, users: UserStoreDep) -> UsersPublic:
    items = [UserPublic.model_validate(u.to_dict()) for u in _service(users).list(actor)]
    return UsersPublic(count=len(items), users=items)


@router.post("", response_model=UserIssued, status_code=201, responses=error_responses(400, 413, 422),
             summary="Create a user; the API key is in this response only (admin)")
def create_user(actor: CurrentActor, users: UserStoreDep, body: UserCreate) -> UserIssued:
    issued = _service(users).add(actor, body.name, body.role)
    return UserIssued(user=UserPublic.model_validate(issued.user.to_dict()), api_key=issued.api_key)


@router.delete("/{name}", response_model=UserPublic, responses=error_responses(404, 422),
               summary="Revoke a user's key (admin)")
def revoke_user(actor: CurrentActor, users: UserStoreDep, request: Request, name: UserName) -> UserPublic:
    revoked = _service(users).revoke(actor, name)
    request.app.state.authenticator.forget()
    return UserPublic.model_validate(revoked.to_dict())
