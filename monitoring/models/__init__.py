from monitoring.models.alerts import Alert, AlertRule, AlertTransition, Silence
from monitoring.models.measurements import ComponentHealth, MetricSample, RequestStat
from monitoring.models.notifications import Delivery, NotificationChannel

__all__ = [
    "Alert",
    "AlertRule",
    "AlertTransition",
    "ComponentHealth",
    "Delivery",
    "MetricSample",
    "NotificationChannel",
    "RequestStat",
    "Silence",
]
