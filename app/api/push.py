"""/api/v1/push-subscriptions: the owner's devices for Web Push nudges."""

from __future__ import annotations

from flask_login import current_user

from .. import push
from . import bp, json_body


def subscription_to_dict(subscription) -> dict:
    return {
        "endpoint": subscription.endpoint,
        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
    }


@bp.post("/push-subscriptions")
def subscribe():
    """Store this device's PushSubscription: 201 when new, 200 when known."""
    subscription, created = push.subscribe(current_user, json_body())
    return subscription_to_dict(subscription), 201 if created else 200


@bp.delete("/push-subscriptions")
def unsubscribe():
    """Forget a device: it gets no more nudges."""
    push.unsubscribe(current_user, json_body())
    return "", 204
