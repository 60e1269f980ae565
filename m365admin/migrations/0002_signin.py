"""Sign-ins: a plain table on SQLite, a monthly range-partitioned table on PostgreSQL.

Django's state gets an ordinary model with `id` as primary key. On PostgreSQL the table is
created here by hand because the partition key must be part of the primary key
(PRIMARY KEY (id, created)), which Django's schema editor cannot express for a model the admin
can still register. There is no DEFAULT partition: it would block creating ranges it already
holds rows for; m365admin.partitions creates monthly partitions ahead.
"""

import django.db.models.deletion
from django.db import migrations, models

from m365admin.lib.partitioned_ddl import create_partitioned_table, drop_table


def create_signin_table(apps, schema_editor):
    create_partitioned_table(schema_editor, apps.get_model("m365admin", "SignIn"))


def drop_signin_table(apps, schema_editor):
    drop_table(schema_editor, apps.get_model("m365admin", "SignIn"))


class Migration(migrations.Migration):

    dependencies = [
        ("m365admin", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SignIn',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('graph_id', models.CharField(max_length=64, verbose_name='Graph ID')),
                        ('created', models.DateTimeField(verbose_name='time')),
                        ('user_graph_id', models.CharField(blank=True, max_length=64, verbose_name='user ID')),
                        ('user_principal_name', models.CharField(blank=True, max_length=320, verbose_name='user principal name')),
                        ('user_display_name', models.CharField(blank=True, max_length=256, verbose_name='user')),
                        ('app_id', models.CharField(blank=True, max_length=64, verbose_name='application ID')),
                        ('app_display_name', models.CharField(blank=True, max_length=256, verbose_name='application')),
                        ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                        ('client_app_used', models.CharField(blank=True, max_length=64, verbose_name='client app')),
                        ('is_interactive', models.BooleanField(null=True, verbose_name='interactive')),
                        ('error_code', models.IntegerField(default=0, verbose_name='error code')),
                        ('failure_reason', models.CharField(blank=True, max_length=500, verbose_name='failure reason')),
                        ('conditional_access_status', models.CharField(blank=True, max_length=32, verbose_name='conditional access')),
                        ('authentication_requirement', models.CharField(blank=True, max_length=64, verbose_name='authentication required')),
                        ('risk_detail', models.CharField(blank=True, max_length=64, verbose_name='risk detail')),
                        ('risk_level_aggregated', models.CharField(blank=True, max_length=16, verbose_name='aggregated risk')),
                        ('risk_level_during_sign_in', models.CharField(blank=True, max_length=16, verbose_name='risk during sign-in')),
                        ('risk_state', models.CharField(blank=True, max_length=32, verbose_name='risk state')),
                        ('risk_event_types', models.JSONField(blank=True, default=list, verbose_name='risk events')),
                        ('country', models.CharField(blank=True, max_length=8, verbose_name='country')),
                        ('state', models.CharField(blank=True, max_length=128, verbose_name='state')),
                        ('city', models.CharField(blank=True, max_length=128, verbose_name='city')),
                        ('latitude', models.FloatField(blank=True, null=True, verbose_name='latitude')),
                        ('longitude', models.FloatField(blank=True, null=True, verbose_name='longitude')),
                        ('operating_system', models.CharField(blank=True, max_length=128, verbose_name='operating system')),
                        ('browser', models.CharField(blank=True, max_length=128, verbose_name='browser')),
                        ('device_compliant', models.BooleanField(null=True, verbose_name='compliant device')),
                        ('device_managed', models.BooleanField(null=True, verbose_name='managed device')),
                        ('resource_display_name', models.CharField(blank=True, max_length=256, verbose_name='resource')),
                        ('correlation_id', models.CharField(blank=True, max_length=64, verbose_name='correlation ID')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.DB_CASCADE, to='m365admin.tenant', verbose_name='tenant')),
                    ],
                    options={
                        'verbose_name': 'sign-in',
                        'verbose_name_plural': 'sign-ins',
                        'ordering': ['-created', '-id'],
                        'indexes': [models.Index(fields=['tenant', '-created', '-id'], name='signin_tenant_recent'), models.Index(fields=['tenant', 'user_graph_id', 'created'], name='signin_tenant_user'), models.Index(fields=['-created', '-id'], name='signin_recent')],
                        'constraints': [models.UniqueConstraint(fields=('tenant', 'graph_id', 'created'), name='signin_unique_event')],
                    },
                ),
            ],
        ),
        migrations.RunPython(create_signin_table, drop_signin_table),
    ]
