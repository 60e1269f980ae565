from monitoring.models.alerts import Alert, AlertRule, AlertTransition, Silence
from monitoring.models.database import DatabaseAction, QueryStatsSnapshot, TableSizeSnapshot
from monitoring.models.measurements import ComponentHealth, MetricSample, RequestStat
from monitoring.models.notifications import Delivery, DeliveryAttempt, NotificationChannel

__all__ = [
    "Alert",
    "AlertRule",
    "AlertTransition",
    "ComponentHealth",
    "DatabaseAction",
    "Delivery",
    "DeliveryAttempt",
    "MetricSample",
    "NotificationChannel",
    "QueryStatsSnapshot",
    "RequestStat",
    "Silence",
    "TableSizeSnapshot",
]
