"""Create the conformance accounts and clients idempotently (run via `manage.py shell`).

The clients are confidential, password grant, authenticating with HTTP
Basic; DOT 3 stores client secrets hashed, so they are saved from the
plaintext the specs and tests know.
"""
from django.contrib.auth import get_user_model
from oauth2_provider.models import get_application_model

User = get_user_model()
for username, password in (("demo", "demo"), ("alice", "alice-secret")):
    user, _ = User.objects.get_or_create(username=username)
    if not user.check_password(password) or not user.is_active:
        user.set_password(password)
        user.is_active = True
        user.save()

Application = get_application_model()
for client_id in ("web-app", "mobile-app"):
    app = Application.objects.filter(client_id=client_id).first() or Application(client_id=client_id)
    app.name = client_id
    app.client_secret = f"{client_id}-secret"
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_PASSWORD
    app.hash_client_secret = True
    app.save()
print("users:", ", ".join(User.objects.order_by("username").values_list("username", flat=True)))
print("clients:", ", ".join(Application.objects.order_by("client_id").values_list("client_id", flat=True)))
