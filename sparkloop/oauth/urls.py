"""OAuth endpoints under /oauth/: authorize (consent), token, revoke, introspect, login."""

from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.urls import path

from sparkloop.oauth.views import (
    ClientIntrospectView,
    ClientRevokeTokenView,
    ConsentView,
    JSONTokenView,
    TeamLoginView,
)

app_name = "oauth"

urlpatterns = [
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("token/", JSONTokenView.as_view(), name="token"),
    path("revoke_token/", ClientRevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", ClientIntrospectView.as_view(), name="introspect"),
    path("login/", TeamLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="oauth:login"), name="logout"),
]
