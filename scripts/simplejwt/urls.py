"""URL routes of the simplejwt conformance target."""

from django.conf import settings
from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework_simplejwt.views import (
    TokenObtainPairView,
    TokenRefreshView,
)


@api_view(["GET"])
def me(request):
    """Protected: JWTAuthentication + IsAuthenticated (the REST_FRAMEWORK defaults)."""
    return Response({"username": request.user.get_username()})


urlpatterns = [
    path("api/token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("api/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("api/me/", me, name="me"),
]

if settings.BLACKLIST:
    from rest_framework_simplejwt.views import TokenBlacklistView

    urlpatterns.append(
        path("api/token/blacklist/", TokenBlacklistView.as_view(), name="token_blacklist")
    )
