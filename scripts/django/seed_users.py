"""Create the conformance accounts idempotently (run via `manage.py shell`):
demo/demo and alice/alice-secret, the accounts of every fixture."""
from django.contrib.auth import get_user_model

User = get_user_model()
for username, password in (("demo", "demo"), ("alice", "alice-secret")):
    user, _ = User.objects.get_or_create(username=username)
    if not user.check_password(password) or not user.is_active:
        user.set_password(password)
        user.is_active = True
        user.save()
print("users ready:", ", ".join(User.objects.order_by("username").values_list("username", flat=True)))
