"""Create the conformance clients idempotently (run via `manage.py shell`,
after scripts/django/seed_users.py).

The clients are confidential, password grant, authenticating with HTTP
Basic; DOT 3 stores client secrets hashed, so they are saved from the
plaintext the specs and tests know.
"""
from oauth2_provider.models import get_application_model

Application = get_application_model()
for client_id in ("web-app", "mobile-app"):
    app = Application.objects.filter(client_id=client_id).first() or Application(client_id=client_id)
    app.name = client_id
    app.client_secret = f"{client_id}-secret"
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_PASSWORD
    app.hash_client_secret = True
    app.save()
print("clients ready:", ", ".join(Application.objects.order_by("client_id").values_list("client_id", flat=True)))
