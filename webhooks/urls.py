from rest_framework.routers import SimpleRouter

from webhooks.apis import WebhookDeliveryViewSet, WebhookEndpointViewSet

router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register(r"webhooks/(?P<webhook_pk>\d+)/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
