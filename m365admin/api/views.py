"""Read-only API viewsets: each declares its queryset, serializer and filter set."""

from __future__ import annotations

from rest_framework import viewsets

from m365admin import filtersets
from m365admin.api import serializers
from m365admin.api.pagination import KeysetPagination
from m365admin.api.rows import ValuesListMixin
from m365admin.models import (
    DirectoryUser,
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    ServiceHealthIssue,
    SignIn,
    SubscribedSku,
    Subscription,
    SyncRun,
    Team,
    Tenant,
)


class SignInCursorPagination(KeysetPagination):
    ordering = ("-created", "-id")
    page_size = 200


class TenantViewSet(viewsets.ReadOnlyModelViewSet[Tenant]):
    queryset = Tenant.objects.all()
    serializer_class = serializers.TenantSerializer
    filterset_class = filtersets.TenantFilterSet
    lookup_field = "code"


class DirectoryUserViewSet(ValuesListMixin, viewsets.ReadOnlyModelViewSet[DirectoryUser]):
    queryset = DirectoryUser.objects.select_related("tenant")
    serializer_class = serializers.DirectoryUserSerializer
    filterset_class = filtersets.DirectoryUserFilterSet
    ordering_fields = ["user_principal_name", "last_sign_in", "created_in_graph"]


class SignInViewSet(ValuesListMixin, viewsets.ReadOnlyModelViewSet[SignIn]):
    queryset = SignIn.objects.select_related("tenant")
    serializer_class = serializers.SignInSerializer
    filterset_class = filtersets.SignInFilterSet
    pagination_class = SignInCursorPagination
    ordering_fields: list[str] = []  # the cursor fixes the order


class MailboxViewSet(viewsets.ReadOnlyModelViewSet[Mailbox]):
    queryset = Mailbox.objects.select_related("tenant")
    serializer_class = serializers.MailboxSerializer
    filterset_class = filtersets.MailboxFilterSet
    ordering_fields = ["user_principal_name", "storage_used_bytes", "last_activity_date"]


class OneDriveAccountViewSet(viewsets.ReadOnlyModelViewSet[OneDriveAccount]):
    queryset = OneDriveAccount.objects.select_related("tenant")
    serializer_class = serializers.OneDriveAccountSerializer
    filterset_class = filtersets.OneDriveAccountFilterSet
    ordering_fields = ["owner_principal_name", "storage_used_bytes", "last_activity_date"]


class TeamViewSet(viewsets.ReadOnlyModelViewSet[Team]):
    queryset = Team.objects.select_related("tenant")
    serializer_class = serializers.TeamSerializer
    filterset_class = filtersets.TeamFilterSet
    ordering_fields = ["display_name", "created_in_graph"]


class SubscribedSkuViewSet(viewsets.ReadOnlyModelViewSet[SubscribedSku]):
    queryset = SubscribedSku.objects.with_product().select_related("tenant")
    serializer_class = serializers.SubscribedSkuSerializer
    filterset_class = filtersets.SubscribedSkuFilterSet
    ordering_fields = ["sku_part_number", "consumed_units"]


class SubscriptionViewSet(viewsets.ReadOnlyModelViewSet[Subscription]):
    queryset = Subscription.objects.with_product().select_related("tenant")
    serializer_class = serializers.SubscriptionSerializer
    filterset_class = filtersets.SubscriptionFilterSet
    ordering_fields = ["next_lifecycle", "sku_part_number"]


class ServiceHealthViewSet(viewsets.ReadOnlyModelViewSet[ServiceHealth]):
    queryset = ServiceHealth.objects.select_related("tenant")
    serializer_class = serializers.ServiceHealthSerializer
    filterset_class = filtersets.ServiceHealthFilterSet
    ordering_fields = ["service", "status"]


class ServiceHealthIssueViewSet(viewsets.ReadOnlyModelViewSet[ServiceHealthIssue]):
    queryset = ServiceHealthIssue.objects.select_related("tenant")
    serializer_class = serializers.ServiceHealthIssueSerializer
    filterset_class = filtersets.ServiceHealthIssueFilterSet
    ordering_fields = ["start", "last_modified"]


class SyncRunViewSet(viewsets.ReadOnlyModelViewSet[SyncRun]):
    queryset = SyncRun.objects.select_related("tenant")
    serializer_class = serializers.SyncRunSerializer
    filterset_class = filtersets.SyncRunFilterSet
    ordering_fields = ["started"]
