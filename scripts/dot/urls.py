"""URL routes of the django-oauth-toolkit conformance target."""

from django.urls import path
from oauth2_provider import views as oauth2_views
from rest_framework.decorators import api_view
from rest_framework.response import Response


@api_view(["GET"])
def me(request):
    """Guarded: OAuth2Authentication + IsAuthenticated (the REST_FRAMEWORK defaults)."""
    return Response({"sub": request.user.get_username()})


urlpatterns = [
    path("o/token/", oauth2_views.TokenView.as_view(), name="token"),
    path("o/revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("o/introspect/", oauth2_views.IntrospectTokenView.as_view(), name="introspect"),
    path("api/me/", me, name="me"),
]
