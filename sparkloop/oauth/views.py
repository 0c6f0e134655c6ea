"""OAuth web pages (login, consent) and the API of a team's connected and registered apps."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse_lazy
from django.views import View
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.views import (
    AuthorizationView,
    IntrospectTokenView,
    RevokeTokenView,
    TokenView,
)
from rest_framework.request import Request
from rest_framework.response import Response

from sparkloop.api.views import TeamViewSet
from sparkloop.lockout import lockout_response
from sparkloop.models import Team
from sparkloop.oauth import selectors, services
from sparkloop.oauth.forms import ConsentForm
from sparkloop.oauth.serializers import (
    ApplicationCreateInputSerializer,
    ApplicationOutputSerializer,
    ConnectionOutputSerializer,
)

NO_TEAM = "Your account does not act for any team, so it cannot connect apps."
BAD_CONSENT = "This authorization request is no longer valid: start again from the app."


class TeamLoginView(LoginView):
    template_name = "oauth/login.html"
    redirect_authenticated_user = True


class ConsentView(AuthorizationView):
    """The toolkit's authorization endpoint with a consent page that names the team.

    The person picks one of the teams they are a member of (TeamMembership); the code, and
    every token obtained from it, acts for that team only.
    """

    template_name = "oauth/authorize.html"
    form_class = ConsentForm
    login_url = reverse_lazy("oauth:login")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The consent page is what picks a team, so it is never skipped ("auto" would reuse
        # an earlier consent for whichever team that was).
        if "approval_prompt" in request.GET:
            query = request.GET.copy()
            query["approval_prompt"] = "force"
            request.GET = query  # type: ignore[assignment]  # django-stubs: GET is replaceable
        self.teams: list[Team] = []
        if request.user.is_authenticated:
            self.teams = list(selectors.membership_teams(user_id=request.user.pk))
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse
        if not self.teams:
            response = self.render_to_response(
                {"error": {"error": "no_team", "description": NO_TEAM}}, status=403
            )
        else:
            response = super().get(request, *args, **kwargs)
        return response

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()
        kwargs["teams"] = self.teams
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        all_scopes = get_scopes_backend().get_all_scopes()
        context["teams"] = self.teams
        context["scope_items"] = [
            (scope, all_scopes.get(scope, scope)) for scope in context.get("scopes", [])
        ]
        return context

    def form_invalid(self, form: ConsentForm) -> HttpResponse:
        # Only a tampered or stale form gets here (a team not the person's, missing fields):
        # the page can't be shown again without the original request, so say so.
        response: HttpResponse = self.render_to_response(
            {"error": {"error": "invalid_request", "description": BAD_CONSENT}}, status=400
        )
        return response

    def form_valid(self, form: ConsentForm) -> HttpResponse:
        self.team = form.chosen_team()
        response: HttpResponse = super().form_valid(form)
        return response

    def create_authorization_response(
        self, request: HttpRequest, scopes: str, credentials: dict[str, Any], allow: bool
    ) -> tuple[str, dict[str, str], str, int]:
        # oauthlib copies credentials onto its request: the validator reads `team` there.
        credentials["team"] = self.team
        response: tuple[str, dict[str, str], str, int] = super().create_authorization_response(
            request=request, scopes=scopes, credentials=credentials, allow=allow
        )
        return response


def presented_client_id(request: HttpRequest) -> str | None:
    """The client_id a request authenticated with: HTTP Basic (RFC 6749 §2.3.1) or the body."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme == "Basic":
        try:
            user = base64.b64decode(encoded.strip()).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
        return unquote_plus(user)
    return request.POST.get("client_id")


class ClientAuthThrottleMixin(View):
    """Locks out an address or an OAuth client after too many failed client authentications.

    Checking a client secret costs a password hash (about 0.3 s of CPU), so a locked-out
    address or client is refused before it is checked. Failures are recorded by django-axes
    like failed logins, the client as the account `oauth-client:<client_id>`, so one set of
    rules (settings AUTH_FAILURE_*) and one admin page cover both (docs/security.md).
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        client_id = presented_client_id(request)
        credentials = {"username": f"oauth-client:{client_id}"} if client_id else {}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return lockout_response(request, credentials=credentials)
        response = super().dispatch(request, *args, **kwargs)
        # 401 invalid_client (token, revocation), 403 (introspection): the credentials.
        if response.status_code in (401, 403):
            user_login_failed.send(sender=type(self), credentials=credentials, request=request)
        return response


class JSONTokenView(ClientAuthThrottleMixin, TokenView):
    """The toolkit's token endpoint; an error raised while saving tokens is JSON too.

    oauthlib gives errors found in validation their JSON headers, but not one raised while
    the tokens are saved (a lost refresh race, TeamOAuth2Validator._save_bearer_token).
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().post(request, *args, **kwargs)
        if response["Content-Type"].startswith("text/html"):
            response["Content-Type"] = "application/json"
            response["Cache-Control"] = "no-store"
        return response


class ClientRevokeTokenView(ClientAuthThrottleMixin, RevokeTokenView):
    """The toolkit's revocation endpoint (RFC 7009), with client authentication throttled."""


class ClientIntrospectView(ClientAuthThrottleMixin, IntrospectTokenView):
    """RFC 7662 introspection, answered for the token's own client only.

    The toolkit answers any authenticated client about any token; here another client (of
    another team or not) gets `{"active": false}`, the answer for an unknown token, so the
    endpoint tells nobody whether someone else's token exists (RFC 7662 §4). The token goes
    in the body: a token in a URL ends up in logs, so GET is refused.
    """

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = request.POST.get("token")
        client_id = presented_client_id(request)
        if token is not None and not selectors.access_token_held_by(
            token=token, client_id=client_id
        ):
            return JsonResponse({"active": False})
        response: HttpResponse = self.get_token_response(token)
        return response


class ConnectionViewSet(TeamViewSet):
    """`GET /v2/oauth/connections`, `DELETE /v2/oauth/connections/:id`.

    Only the team's API key manages its apps: `oauth` is not a scope an app can be granted.
    """

    scope_resource = "oauth"

    def list(self, request: Request) -> Response:
        connections = selectors.connection_list(team=self.team)
        return Response({"connections": ConnectionOutputSerializer(connections, many=True).data})

    def destroy(self, request: Request, pk: str) -> Response:
        connection = selectors.connection_get(team=self.team, public_id=pk)
        rendered = ConnectionOutputSerializer(connection).data
        services.connection_revoke(connection=connection)
        return Response({"connection": rendered})


class ApplicationViewSet(TeamViewSet):
    """`GET|POST /v2/oauth/applications`: the apps a team registered itself."""

    scope_resource = "oauth"

    def list(self, request: Request) -> Response:
        applications = selectors.application_list(team=self.team)
        return Response({"applications": ApplicationOutputSerializer(applications, many=True).data})

    def create(self, request: Request) -> Response:
        data = ApplicationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application, secret = services.application_create(team=self.team, **data.validated_data)
        body = ApplicationOutputSerializer(application).data
        body["client_secret"] = secret  # shown once; only its hash is kept
        return Response({"application": body}, status=201)
